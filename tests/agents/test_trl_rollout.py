"""Reagent grouping in TRL: a GRPO group holds n initial + n refined attempts, each with its own reward."""

import os
from types import SimpleNamespace

import pytest

from rrm_gym.agents.bridges.trl.env import environment_factory, make_grpo_config, prepare_tokenizer
from rrm_gym.agents.bridges.trl.generation import generate_replies
from rrm_gym.agents.bridges.trl.rollout import attempt_reward, reagent_rollout_func
from rrm_gym.types import Judgement
from tests.agents.tiny_lm import make_tiny_lm

trl = pytest.importorskip("trl")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
LAM = 0.3


class NumberedJudge:
    """Scores 0.2, 0.6, 0.4, 0.8, ... in call order; each critique names its call."""

    name = "numbered"

    def __init__(self, ok=True):
        self.calls, self.ok = 0, ok

    def __call__(self, requests):
        out = []
        for _ in requests:
            if self.ok:
                out.append(Judgement(score=[0.2, 0.6, 0.4, 0.8][self.calls % 4],
                                     critique=f"Critique #{self.calls}: open the page that lists prices."))
            else:
                out.append(Judgement(score=None, critique="", ok=False, error="judge down"))
            self.calls += 1
        return out


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def _trainer(model_path, rollout, out, **config):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    args = make_grpo_config(str(out), max_steps=1, **config)
    rollout.check_config(args)
    captured = []

    def rollout_func(prompts, trainer):
        result = rollout(prompts, trainer)
        captured.append((prompts, result))
        return result

    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model_path),
                          processing_class=prepare_tokenizer(AutoTokenizer.from_pretrained(model_path)),
                          reward_funcs=attempt_reward, args=args, train_dataset=rollout.make_dataset(4),
                          rollout_func=rollout_func)
    return trainer, captured


def test_a_grpo_group_holds_initial_and_refined_attempts_with_their_own_rewards(tiny_model, tmp_path):
    import torch

    rollout = reagent_rollout_func("rrm/WebWalker-v0", feedback="unified", judge=NumberedJudge(), lam=LAM,
                                   difficulty="easy", max_turns=3, max_reply_tokens=8)
    trainer, captured = _trainer(tiny_model, rollout, tmp_path / "out", num_generations=4,
                                 max_completion_length=160, temperature=1.0)
    trainer.train()
    assert trainer.state.global_step == 1
    [(prompts, out)] = captured
    assert len(prompts) == 4 and all(p == prompts[0] for p in prompts)  # one task, repeated by TRL's sampler
    assert out["rrm_attempt"] == [1, 1, 2, 2] and out["rrm_sample"] == [0, 1, 0, 1]  # n=2 initial + n=2 refined

    tok = trainer.processing_class
    texts = [tok.decode(ids) for ids in out["prompt_ids"]]
    episodes = {ep["attempts"][0]["critique"]: ep for ep in rollout.factory.pop_finished()}
    assert len(episodes) == 2 and all(len(ep["attempts"]) == 2 for ep in episodes.values())
    for k in range(2):
        initial, refined = k, 2 + k
        assert "Critique #" not in texts[initial] and "Your previous attempt" not in texts[initial]
        [critique] = [c for c in episodes if c in texts[refined]]  # the refined prompt holds its own critique
        assert "Your previous attempt (attempt 1)" in texts[refined]
        first, second = episodes[critique]["attempts"]
        assert out["rrm_reward"][initial] == pytest.approx(first["reward_env"] + first["reward_rrm"])
        assert out["rrm_reward"][refined] == pytest.approx(second["reward_env"] + second["reward_rrm"])
        assert first["reward_rrm"] == pytest.approx(LAM * first["score"]) and first["score"] != second["score"]
        assert out["rrm_reward"][initial] != pytest.approx(out["rrm_reward"][initial] + out["rrm_reward"][refined])

    rewards = torch.tensor(list(trainer._logs["rewards"]["attempt_reward"]))
    assert rewards.tolist() == pytest.approx(out["rrm_reward"])  # what TRL scored is each attempt's own reward
    expected = (rewards - rewards.mean()) / (rewards.std() + 1e-4)  # one group of 4: initial and refined together
    assert list(trainer._logs["advantages"]) == pytest.approx(expected.tolist(), abs=1e-4)

    for ids, mask, lps in zip(out["completion_ids"], out["env_mask"], out["logprobs"], strict=True):
        assert len(ids) == len(mask) == len(lps) <= 160 and mask[0] == 1
        assert all(lp <= 0.0 for lp in lps) and all(lp == 0.0 for lp, m in zip(lps, mask, strict=True) if not m)
    assert any(0 in mask for mask in out["env_mask"])  # observations between replies are env tokens
    [log] = [row for row in trainer.state.log_history if "loss" in row]
    assert {"rrm/success_attempt1", "rrm/success_attempt2", "rrm/judge_score"} <= set(log)
    assert log["rrm/judge_score"] == pytest.approx(0.5)


def test_reward_mode_rows_are_single_attempts_and_logprobs_are_the_sampling_ones(tiny_model, tmp_path):
    import torch

    rollout = reagent_rollout_func("rrm/WebWalker-v0", feedback="reward", judge=NumberedJudge(), lam=LAM,
                                   difficulty="easy", max_turns=2, max_reply_tokens=6)
    trainer, _ = _trainer(tiny_model, rollout, tmp_path / "out", num_generations=3, max_completion_length=96,
                          temperature=0.7)
    trainer.model.train()
    prompt = trainer.train_dataset[1]["prompt"]
    out = rollout([prompt] * 3, trainer)
    assert out["rrm_attempt"] == [1, 1, 1] and out["rrm_sample"] == [0, 1, 2]
    assert [r for r in out["rrm_reward"]] == pytest.approx([e + LAM * s for e, s in
                                                           zip(out["rrm_reward_env"], out["rrm_score"], strict=True)])
    model = trainer.model
    for prompt_ids, ids, mask, lps in zip(out["prompt_ids"], out["completion_ids"], out["env_mask"],
                                          out["logprobs"], strict=True):
        seq = torch.tensor([prompt_ids + ids])
        with torch.no_grad():
            logits = model(seq).logits[0, len(prompt_ids) - 1:-1] / 0.7  # as TRL scores them
        ref = logits.log_softmax(-1).gather(1, torch.tensor(ids)[:, None]).squeeze(1)
        model_tokens = torch.tensor(mask).bool()
        assert torch.allclose(torch.tensor(lps)[model_tokens], ref[model_tokens], atol=1e-4)

    with pytest.raises(ValueError, match="make_dataset"):
        rollout([[{"role": "user", "content": "not a task"}]] * 3, trainer)
    with pytest.raises(ValueError, match="differ"):
        rollout([prompt, prompt, trainer.train_dataset[0]["prompt"]], trainer)


def test_attempts_without_a_refinement_are_unscored_rows(tiny_model, tmp_path):
    rollout = reagent_rollout_func("rrm/WebWalker-v0", feedback="critique", judge=NumberedJudge(ok=False),
                                   on_error="skip", difficulty="easy", max_turns=1, max_reply_tokens=4)
    trainer, _ = _trainer(tiny_model, rollout, tmp_path / "out", num_generations=2, max_completion_length=16)
    trainer.model.train()
    out = rollout([trainer.train_dataset[0]["prompt"]] * 2, trainer)
    assert out["rrm_attempt"] == [1, 2]
    assert out["rrm_reward"][0] == 0.0 and out["rrm_forced"][0]  # no answer in 1 reply: ended with \boxed{}
    assert out["rrm_reward"][1] is None and out["env_mask"][1] == [0]  # the skipped judgement stopped refining
    assert attempt_reward([None, None], rrm_reward=out["rrm_reward"]) == [0.0, None]


def test_config_checks_name_the_group_layout(tmp_path):
    rollout = reagent_rollout_func("rrm/WebWalker-v0", feedback="unified", judge=NumberedJudge(),
                                   max_refinements=2, difficulty="easy")
    assert rollout.attempts == 3
    rollout.check_config(make_grpo_config(str(tmp_path), num_generations=6))
    with pytest.raises(ValueError, match="multiple of the 3 attempts"):
        rollout.check_config(make_grpo_config(str(tmp_path), num_generations=4))
    two_processes = SimpleNamespace(num_generations=6, per_device_train_batch_size=3, steps_per_generation=1)
    with pytest.raises(ValueError, match="whole groups"):  # each process would hold half a group
        rollout.check_config(two_processes)
    with pytest.raises(ValueError, match="rrm_reward"):
        attempt_reward(["x"])


def _call(name, **arguments):
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def test_a_reply_is_one_env_step_per_tool_call_or_one_for_plain_text():
    factory = environment_factory("rrm/WebWalker-v0", feedback="unified", judge=NumberedJudge(), difficulty="easy")
    env = factory()
    env.reset(seed=3)
    [message] = env._reply({"role": "assistant", "content": " hello "})  # plain text: the env answers it
    assert message["role"] == "user" and message["content"].startswith("Invalid action")
    messages = env._reply({"role": "assistant", "content": "",
                           "tool_calls": [_call("fly", to="moon"), _call("answer", answer="x"), _call("back")]})
    assert [m["name"] for m in messages] == ["fly", "answer"]  # no call after the one that ended the attempt
    assert "unknown tool 'fly'" in messages[0]["content"]  # the env explains it, and that costs a step
    assert "Critique #0" in messages[1]["content"] and env._attempt == 2 and factory.env_steps == 3


class RecordingVLLM:
    """Stands in for TRL's VLLMGeneration: answers with its own ids and top-1 logprobs, records the calls."""

    def __init__(self):
        self.calls = []

    def generate(self, prompts, images, num_generations, profiler=None):
        self.calls.append((prompts, images, num_generations))
        ids = [[5, 6, 2, 7], [8, 9, 9, 9]][: len(prompts)]
        logprobs = [[[-0.5], [-0.25], [-0.125], [-1.0]], [[-1.0], [None], [-2.0], [-3.0]]][: len(prompts)]
        return prompts, ids, logprobs, None


def test_vllm_replies_are_cut_at_end_of_turn_and_budget():
    engine = RecordingVLLM()
    trainer = SimpleNamespace(use_vllm=True, vllm_generation=engine, eos_token_ids=[2])
    first, second = generate_replies(trainer, [[1, 2, 3], [4]], [10, 2])
    assert engine.calls == [([[1, 2, 3], [4]], None, 1)]
    assert first.ids == [5, 6, 2] and first.logprobs == [-0.5, -0.25, -0.125] and first.ended
    assert second.ids == [8, 9] and second.logprobs == [-1.0, None] and not second.ended
    assert generate_replies(trainer, [], []) == [] and len(engine.calls) == 2  # every process joins each call
