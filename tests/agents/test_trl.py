"""TRL bridge: the environment_factory contract of trl 1.16 GRPOTrainer, the reward function, two real steps."""

import inspect
import os

import pytest

from rrm_gym.agents.bridges.trl.env import (
    environment_factory,
    make_dataset,
    make_grpo_config,
    prepare_tokenizer,
    shaped_reward,
)
from rrm_gym.types import Judgement
from tests.agents.tiny_lm import make_tiny_lm

trl = pytest.importorskip("trl")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


class CountingJudge:
    name = "counting"

    def __init__(self):
        self.requests = 0

    def __call__(self, requests):
        self.requests += len(requests)
        return [Judgement(score=0.5, critique="Open the page that lists prices.") for _ in requests]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def test_factory_builds_tool_methods_trl_can_describe():
    from transformers.utils import get_json_schema

    factory = environment_factory("rrm/WebWalker-v0", feedback="none", difficulty="easy")
    env = factory()
    cls = type(env)
    public = sorted(n for n, _ in inspect.getmembers(cls, predicate=inspect.isfunction) if not n.startswith("_"))
    assert public == ["answer", "back", "click", "reset"]  # exactly what GRPOTrainer will expose (+ reset)
    schema = get_json_schema(cls.click)["function"]
    assert schema["name"] == "click" and schema["parameters"]["required"] == ["button"]
    assert schema["parameters"]["properties"]["button"]["type"] == "string"
    assert get_json_schema(cls.answer)["function"]["parameters"]["required"] == ["answer"]
    assert get_json_schema(cls.back)["function"]["parameters"]["properties"] == {}


def test_tool_calls_step_the_env_and_unified_feedback_refines():
    judge = CountingJudge()
    factory = environment_factory("rrm/WebWalker-v0", feedback="unified", judge=judge, lam=0.3, difficulty="easy")
    env = factory()
    first = env.reset(seed=3, prompt=[{"role": "user", "content": ""}])  # TRL passes the dataset row
    assert "Question:" in first and "Buttons on this page" in first
    obs = env.click(button="no such button")
    assert "Invalid" in obs or "Error" in obs or "no button" in obs.lower()
    critique_obs = env.answer(answer="wrong answer")
    assert "Open the page that lists prices." in critique_obs and "attempt 2" in critique_obs.lower()
    assert judge.requests == 1
    env.answer(answer="still wrong")
    assert env.answer(answer="late").startswith("The episode is over")
    rewards = shaped_reward([[{"role": "assistant", "content": "done"}]], environments=[env])
    # TRL's tool loop makes one row of the whole episode, so shaped_reward can only sum its attempts; the
    # rollout_func path (test_trl_rollout.py) gives each attempt its own row and reward instead.
    assert rewards == pytest.approx([2 * 0.3 * 0.5])  # two judged attempts, env reward 0, λ·score each
    assert env._attempt_returns == pytest.approx([0.15, 0.15])  # what the rollout path reports per attempt
    [episode] = factory.pop_finished()
    assert len(episode["attempts"]) == 2 and episode["return_rrm"] == pytest.approx(0.3)
    assert factory.env_steps == 3  # click, answer (refinement starts), answer; the late call is not a step


def test_plain_text_final_answer_is_sent_to_the_env():
    factory = environment_factory("rrm/WebWalker-v0", feedback="reward", judge=CountingJudge(), difficulty="easy")
    env = factory()
    env.reset(seed=0)
    logged = {}
    rewards = shaped_reward([[{"role": "assistant", "content": "It is \\boxed{12}"}]], environments=[env],
                            log_metric=lambda k, v: logged.__setitem__(k, v))
    assert rewards == pytest.approx([0.15]) and env._done
    assert set(logged) == {"rrm/reward_env", "rrm/success", "rrm/judge_score"}
    with pytest.raises(ValueError, match="environment_factory"):
        shaped_reward(["x"])


def test_tokenizer_gets_a_tool_template_that_trl_parses(tiny_model):
    from transformers import AutoTokenizer
    from trl.chat_template_utils import add_response_schema, parse_response, supports_tool_calling

    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model))
    assert supports_tool_calling(tok)
    add_response_schema(tok)
    ids = tok('<tool_call>\n{"name": "click", "arguments": {"button": "World"}}\n</tool_call><|im_end|>',
              add_special_tokens=False)["input_ids"]
    prefix = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=True,
                                     return_dict=False)
    parsed = parse_response(tok, ids, prefix=prefix)  # as GRPOTrainer calls it
    assert parsed["tool_calls"][0]["function"] == {"name": "click", "arguments": {"button": "World"}}


def test_dataset_rows_pin_tasks_for_groups():
    ds = make_dataset(3, seed=10, split="train")
    assert ds["seed"] == [10, 11, 12] and ds[0]["prompt"][-1] == {"role": "user", "content": ""}
    factory = environment_factory("rrm/WebWalker-v0", feedback="none", difficulty="easy")
    a, b = factory(), factory()
    assert a.reset(**ds[1]) == b.reset(**ds[1])  # the rollouts of one group see the same task


def test_grpo_config_for_scaling_docs(tmp_path):
    cfg = make_grpo_config(str(tmp_path), max_steps=3, use_vllm=True, vllm_mode="server",
                           vllm_server_base_url="http://gen-host:8000", num_generations=8, temperature=0.7)
    assert (cfg.use_vllm, cfg.vllm_mode, cfg.vllm_server_base_url) == (True, "server", "http://gen-host:8000")
    assert (cfg.num_generations, cfg.temperature, cfg.max_steps) == (8, 0.7, 3)
    assert cfg.save_strategy == "no" and cfg.logging_steps == 1


def test_grpo_trainer_two_steps_on_cpu(tiny_model, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    judge = CountingJudge()
    factory = environment_factory("rrm/WebWalker-v0", feedback="unified", judge=judge, difficulty="easy",
                                  max_episode_steps=3)
    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(tiny_model))
    args = make_grpo_config(str(tmp_path / "out"), max_steps=2, max_completion_length=16,
                            max_tool_calling_iterations=2, temperature=1.0)
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(tiny_model), processing_class=tok,
                          reward_funcs=shaped_reward, args=args, train_dataset=make_dataset(4),
                          environment_factory=factory)
    assert {t.__name__ for t in trainer.tools} == {"answer", "back", "click"}
    trainer.train()
    assert trainer.state.global_step == 2
    logs = [row for row in trainer.state.log_history if "loss" in row]
    assert len(logs) == 2 and all("rrm/reward_env" in row for row in logs)
    assert all("rewards/shaped_reward/mean" in row for row in logs)
    assert factory.env_steps >= 2 * 2  # 2 steps x 2 rollouts, each ends with at least its final text as an env step


def test_example_script_runs(tiny_model, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "trl_grpo.py"
    result = subprocess.run([sys.executable, str(script), "--model", tiny_model, "--steps", "1",
                             "--max-completion-length", "16", "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "step 1: reward" in result.stdout and (tmp_path / "out" / "adapter_config.json").is_file()


def _doc_blocks(lang):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "scaling.md").read_text()
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def test_scaling_doc_accelerate_config_is_valid(tmp_path):
    from accelerate.commands.config.config_args import ClusterConfig

    [block] = [b for b in _doc_blocks("yaml") if b.startswith("# accelerate-multinode.yaml")]
    path = tmp_path / "accelerate-multinode.yaml"
    path.write_text(block)
    cfg = ClusterConfig.from_yaml_file(str(path))
    assert (cfg.num_machines, cfg.num_processes, cfg.main_process_port) == (2, 16, 29500)
    assert str(cfg.distributed_type).endswith("MULTI_GPU")


def test_scaling_doc_agent_opts_give_the_vllm_server_config(tmp_path):
    import shlex

    from rrm_gym.cli.options import parse_key_values

    [command] = [b for b in _doc_blocks("bash") if "--agent trl" in b]
    words = shlex.split(command.replace("\\\n", " "))
    opts = parse_key_values([words[i + 1] for i, w in enumerate(words) if w == "--agent-opt"])
    cfg = make_grpo_config(str(tmp_path), max_steps=1, **opts)
    assert (cfg.use_vllm, cfg.vllm_mode, cfg.vllm_server_base_url) == (True, "server", "http://gen-host:8000")
