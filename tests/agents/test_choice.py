"""The ``choose`` action mode: packed candidate scoring, the categorical, templates, and its update path."""

import pytest
import torch

from rrm_gym.agents.llm.choice import candidate_ids
from rrm_gym.agents.llm.packing import pack
from rrm_gym.agents.llm.policy import LLMPolicy
from rrm_gym.envs.candidates import ANSWER_TEMPLATE, WRITE

CONV = [{"role": "system", "content": "You are a web agent."},
        {"role": "user", "content": "Question: When was the Department of Geography founded?\nPage: Home"}]
CANDS = ["click: Faculties and Departments", "click: Admissions", "back:",
         "The Department of Geography was founded in 1938. \\boxed{1938}"]


@pytest.fixture(scope="module")
def exact():
    return LLMPolicy(seed=0, lora_layers=4, mixed_precision=False, max_new_tokens=6)


@pytest.fixture(scope="module")
def fast():
    return LLMPolicy(seed=0, lora_layers=4, mixed_precision=True, max_new_tokens=6)


def naive_scores(policy, conv, cands):
    """Mean token log-prob of each candidate from one full forward pass per candidate (what packing replaces)."""
    prompt = policy.encode_prompt(conv)[0]
    out = []
    with torch.no_grad():
        for ids in candidate_ids(policy, cands):
            seq = torch.tensor([prompt + ids])
            logits = policy.model(input_ids=seq).logits[0].float()
            lp = torch.log_softmax(logits, -1)
            out.append(sum(lp[len(prompt) - 1 + t, tok].item() for t, tok in enumerate(ids)) / len(ids))
    return torch.tensor(out)


def test_packing_gives_exactly_the_per_candidate_likelihoods(exact):
    choice = exact.choose([CONV], [CANDS], greedy=True)[0]
    expected = torch.softmax(naive_scores(exact, CONV, CANDS), -1)
    assert torch.allclose(torch.tensor(choice.probs), expected, atol=1e-4)
    assert choice.index == int(expected.argmax()) and choice.text == CANDS[choice.index]
    # the prompt is encoded once: one row of len(prompt) + sum(len(candidate)) tokens
    packed = pack([choice.prompt_ids], [choice.candidate_ids], exact.pad_id)
    assert packed.input_ids.shape == (1, len(choice.prompt_ids) + sum(len(c) for c in choice.candidate_ids))
    assert choice.frozen.shape[0] == packed.input_ids.shape[1]


def test_mixed_precision_stays_close_to_float32(exact, fast):
    assert fast.mixed_precision and not exact.mixed_precision
    a = exact.choose([CONV], [CANDS], greedy=True)[0]
    b = fast.choose([CONV], [CANDS], greedy=True)[0]
    assert max(abs(x - y) for x, y in zip(a.probs, b.probs, strict=True)) < 0.05


@pytest.mark.parametrize("which", ["exact", "fast"])
def test_update_scores_equal_rollout_scores_and_reference_before_training(which, request):
    policy = request.getfixturevalue(which)
    convs = [CONV, [{"role": "user", "content": "Pick a colour for the sky."}]]
    cands = [CANDS, ["blue", "green", "a long answer about the colour of things"]]
    choices = policy.choose(convs, cands)
    scores = policy.forward_choices(choices)
    rollout = torch.tensor([c.logprobs[0] for c in choices])
    assert scores.logprobs.shape == (2, 1) and scores.values.shape == (2, 1)
    assert torch.allclose(scores.logprobs[:, 0], rollout, atol=2e-3)  # ratio 1 before any update
    assert torch.allclose(scores.values[:, 0], torch.tensor([c.values[0] for c in choices]), atol=1e-3)
    with torch.no_grad():
        ref = policy.forward_choices(choices, reference=True)
    assert torch.allclose(ref.logprobs, scores.logprobs.detach(), atol=1e-5)  # LoRA B = 0: KL is 0
    entropy = -(torch.tensor(choices[0].probs) * torch.tensor(choices[0].probs).log()).sum()
    assert scores.entropy[0, 0].item() == pytest.approx(entropy.item(), abs=2e-3)


def test_gradients_reach_only_lora_and_the_value_head(exact):
    choice = exact.choose([CONV], [CANDS])[0]
    scores = exact.forward_choices([choice])
    (scores.logprobs.sum() + scores.values.sum()).backward()
    trainable = {id(p) for p in exact.trainable_parameters()}
    lora_grads = [p.grad for n, p in exact.model.named_parameters() if "lora_B" in n and p.grad is not None]
    assert lora_grads and any(g.abs().sum() > 0 for g in lora_grads)
    for name, param in exact.model.named_parameters():
        if id(param) not in trainable:
            assert param.grad is None, name
    for p in exact.trainable_parameters():
        p.grad = None


def test_a_template_is_chosen_then_written_and_both_parts_are_scored(exact):
    conv = [{"role": "user", "content": "What is 2 + 2? Answer with the number."}]
    choice = exact.choose([conv], [[ANSWER_TEMPLATE]], greedy=True)[0]
    assert choice.index == 0 and choice.probs == [1.0]
    assert choice.text.startswith("\\boxed{") and choice.text.endswith("}")
    assert 1 <= len(choice.written_ids) <= exact.max_new_tokens
    assert choice.logprobs[0] < 0  # log pi(choice) = 0, plus the written tokens
    scores = exact.forward_choices([choice])
    assert scores.logprobs[0, 0].item() == pytest.approx(choice.logprobs[0], abs=2e-3)


def test_act_falls_back_to_writing_when_the_env_offers_no_candidates(exact):
    acts = exact.act([CONV, CONV], [{"candidate_actions": CANDS}, {}], greedy=True)
    assert acts[0].text in CANDS
    assert acts[1].candidates == [WRITE] and acts[1].written_ids  # free text, through the all-slot template


def test_normalisations_and_settings_are_checked():
    with pytest.raises(ValueError, match="choice_norm"):
        LLMPolicy(choice_norm="mean")
    with pytest.raises(ValueError, match="action_mode"):
        LLMPolicy(action_mode="pick")
    with pytest.raises(ValueError, match="mixed_precision"):
        LLMPolicy(action_mode="generate", mixed_precision=True)


def test_generate_refuses_a_mixed_precision_policy(fast):
    with pytest.raises(RuntimeError, match="mixed precision"):
        fast.generate([CONV])
    with pytest.raises(ValueError, match="at least one candidate"):
        fast.choose([CONV], [[]])


def test_detaching_the_prompt_keeps_the_values_and_nearly_the_gradient(exact):
    convs = [CONV, [{"role": "user", "content": "Pick a colour for the sky, please."}]]
    choices = exact.choose(convs, [CANDS, ["blue", "green", "a long answer about colours"]])
    with torch.no_grad():
        for name, param in exact.model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.02)  # a trained adapter: the prompt path matters
    out = {}
    try:
        for prompt_grad in (True, False):
            exact.prompt_grad = prompt_grad
            scores = exact.forward_choices(choices)
            scores.logprobs.sum().backward()
            grad = torch.cat([p.grad.flatten() for n, p in exact.model.named_parameters() if "lora_B" in n])
            out[prompt_grad] = (scores.logprobs.detach(), grad.clone())
            for p in exact.trainable_parameters():
                p.grad = None
    finally:
        exact.prompt_grad = False
        with torch.no_grad():
            for name, param in exact.model.named_parameters():
                if "lora_B" in name:
                    param.zero_()
    assert torch.allclose(out[True][0], out[False][0], atol=1e-4)
    assert torch.nn.functional.cosine_similarity(out[True][1], out[False][1], dim=0) > 0.8
