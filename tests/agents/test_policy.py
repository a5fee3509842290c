import pytest
import torch

from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT
from rrm_gym.agents.llm.policy import LLMPolicy


@pytest.fixture(scope="module")
def policy():
    return LLMPolicy(seed=0, max_new_tokens=10, max_prompt_tokens=200, lora_layers=4, action_mode="generate")


def convs():
    return [
        [{"role": "system", "content": SYSTEM_PROMPT_AGENT}, {"role": "user", "content": "Question: 2+2?"}],
        [{"role": "user", "content": "Say hello to the world in a friendly way, please."}],
        [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Name a colour."},
         {"role": "assistant", "content": "red"}, {"role": "user", "content": "Another one."}],
    ]


def test_generate_shapes_and_logprobs_match_a_forward_pass(policy):
    gens = policy.generate(convs())
    assert len(gens) == 3
    for conv, gen in zip(convs(), gens, strict=True):
        assert gen.prompt_ids == policy.encode_prompt(conv)[0]
        assert 1 <= len(gen.action_ids) <= 10
        assert len(gen.logprobs) == len(gen.values) == len(gen.action_ids)
        assert all(lp <= 0 for lp in gen.logprobs)
        assert gen.action_ids[-1] in policy.stop_ids or len(gen.action_ids) == 10
        assert isinstance(gen.text, str) and "<|im_end|>" not in gen.text
    scores = policy.forward_actions([g.prompt_ids for g in gens], [g.action_ids for g in gens])
    for row, gen in enumerate(gens):
        n = len(gen.action_ids)
        assert torch.allclose(scores.logprobs[row, :n], torch.tensor(gen.logprobs), atol=1e-3)
        assert torch.allclose(scores.values[row, :n], torch.tensor(gen.values), atol=1e-3)
        assert scores.mask[row].sum() == n and not scores.mask[row, n:].any()
        assert (scores.entropy[row, :n] >= 0).all()


def test_reference_equals_policy_before_training(policy):
    gens = policy.generate(convs()[:2])
    p, a = [g.prompt_ids for g in gens], [g.action_ids for g in gens]
    with torch.no_grad():
        ours = policy.forward_actions(p, a)
        ref = policy.forward_actions(p, a, reference=True)
    assert torch.equal(ours.logprobs, ref.logprobs)  # LoRA B starts at zero: KL is exactly 0
    lora_b = [t for n, t in policy.model.named_parameters() if "lora_B" in n]
    assert lora_b and all(torch.count_nonzero(t) == 0 for t in lora_b)
    assert ref.values is None


def test_gradients_reach_only_lora_and_value_head(policy):
    gens = policy.generate(convs()[:1])
    scores = policy.forward_actions([gens[0].prompt_ids], [gens[0].action_ids])
    (scores.logprobs.sum() + scores.values.sum()).backward()
    trainable = {id(p) for p in policy.trainable_parameters()}
    for name, param in policy.model.named_parameters():
        if id(param) not in trainable:
            assert param.grad is None, name
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.value_head.parameters())
    lora_names = [n for n, p in policy.model.named_parameters() if p.requires_grad]
    assert lora_names and all("lora_" in n for n in lora_names)
    assert {int(n.split(".layers.")[1].split(".")[0]) for n in lora_names} == {26, 27, 28, 29}  # top 4 of 30
    for p in policy.trainable_parameters():
        p.grad = None


def test_prompt_truncation_keeps_system_first_observation_and_latest_turn(policy):
    conv = [{"role": "system", "content": "SYSTEM-MARK"}, {"role": "user", "content": "FIRST-OBS question"}]
    for i in range(20):
        conv += [{"role": "assistant", "content": f"action {i}"},
                 {"role": "user", "content": f"observation {i} " + "filler " * 20}]
    ids, cut = policy.encode_prompt(conv)
    text = policy.tokenizer.decode(ids)
    assert cut and len(ids) <= 200
    assert "SYSTEM-MARK" in text and "FIRST-OBS" in text and "observation 19" in text
    assert "observation 0 " not in text
    assert text.rstrip().endswith("assistant")
    huge = [{"role": "user", "content": "start " + "word " * 2000 + " END-MARK"}]
    ids, cut = policy.encode_prompt(huge)
    assert cut and len(ids) <= 200 and "END-MARK" in policy.tokenizer.decode(ids)


def test_greedy_agent_is_deterministic(policy):
    agent = policy.as_agent(greedy=True)
    assert agent(convs()) == agent(convs())


def test_save_and_load_round_trip(policy, tmp_path):
    with torch.no_grad():
        for name, param in policy.model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.02)
        policy.value_head.out.weight.normal_(0, 0.1)
    gens = policy.generate(convs()[:2])
    p, a = [g.prompt_ids for g in gens], [g.action_ids for g in gens]
    with torch.no_grad():
        before = policy.forward_actions(p, a)
    policy.save(tmp_path / "ckpt")
    loaded = LLMPolicy.load(tmp_path / "ckpt")
    with torch.no_grad():
        after = loaded.forward_actions(p, a)
    assert torch.allclose(before.logprobs, after.logprobs, atol=1e-5)
    assert torch.allclose(before.values, after.values, atol=1e-5)
    assert loaded.lora_settings == policy.lora_settings
    with torch.no_grad():  # leave the shared fixture as it was
        for name, param in policy.model.named_parameters():
            if "lora_B" in name:
                param.zero_()
        policy.value_head.out.weight.zero_()


def test_misuse_gets_clear_errors(policy, tmp_path):
    with pytest.raises(ValueError, match="at least one token"):
        policy.forward_actions([[1, 2]], [[]])
    with pytest.raises(ValueError, match="same length"):
        policy.forward_actions([[1, 2]], [[3], [4]])
    with pytest.raises(FileNotFoundError):
        policy.load_weights(tmp_path)
    assert policy.generate([]) == []


def test_frozen_states_from_generation_give_the_same_scores(policy):
    assert policy.frozen.enabled and policy.frozen.k == 26  # LoRA on the top 4 of 30 layers
    gens = policy.generate(convs())
    assert all(g.frozen is not None and g.frozen.shape[0] == len(g.prompt_ids) + len(g.action_ids) - 1
               for g in gens)
    p, a = [g.prompt_ids for g in gens], [g.action_ids for g in gens]
    with torch.no_grad():
        full = policy.forward_actions(p, a)
        fast = policy.forward_actions(p, a, frozen=[g.frozen for g in gens])
        ref_full = policy.forward_actions(p, a, reference=True)
        ref_fast = policy.forward_actions(p, a, reference=True, frozen=[g.frozen for g in gens])
    assert torch.allclose(full.logprobs, fast.logprobs, atol=1e-3)
    assert torch.allclose(full.values, fast.values, atol=1e-3)
    assert torch.allclose(ref_full.logprobs, ref_fast.logprobs, atol=1e-3)
    with pytest.raises(ValueError, match="frozen states"):
        policy.forward_actions(p[:1], [a[0] + [5]], frozen=[gens[0].frozen])
