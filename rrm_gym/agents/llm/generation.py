"""Free-text generation of :class:`~rrm_gym.agents.llm.policy.LLMPolicy` (the ``generate`` action mode).

Batched over many conversations (left padding, one ``model.generate`` call); the per-token log-probs come from the
generation logits and the values from the last hidden state captured on the way, so a rollout costs no second
forward pass. The sampling distribution is exactly ``softmax(logits / temperature)`` with the policy's own
temperature: generation uses a fresh ``GenerationConfig`` (so a model's own repetition penalty, top-k and the
like never apply), which is the distribution the update scores.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch

from rrm_gym.agents.llm.frozen import FrozenSplit
from rrm_gym.agents.llm.tokens import Generation, left_pad

__all__ = ["generate_batch", "sampling_config"]


def sampling_config(policy: Any, greedy: bool, temperature: float, top_p: float | None,
                    max_new_tokens: int | None, min_new_tokens: int | None) -> Any:
    """A ``GenerationConfig`` with nothing but what the policy's distribution is (no processors of the model's)."""
    from transformers import GenerationConfig

    settings: dict[str, Any] = {
        "max_new_tokens": max_new_tokens or policy.max_new_tokens, "do_sample": not greedy,
        "eos_token_id": policy.stop_ids, "pad_token_id": policy.pad_id, "return_dict_in_generate": True,
        "output_logits": True, "top_k": None, "repetition_penalty": None,
    }
    if min_new_tokens:
        settings["min_new_tokens"] = min_new_tokens
    if not greedy:
        settings.update(temperature=temperature, top_p=policy.top_p if top_p is None else top_p)
    return GenerationConfig(**settings)


def generate_batch(
    policy: Any, prompts: list[list[int]], greedy: bool, temperature: float | None, top_p: float | None,
    max_new_tokens: int | None, min_new_tokens: int | None = None,
) -> list[Generation]:
    """Generate for left-padded ``prompts``; log-probs and values come from the same pass (see the module docs)."""
    temp = policy.temperature if temperature is None else temperature
    greedy = greedy or temp <= 0
    temp = temp if temp > 0 else 1.0
    input_ids, attention, _ = left_pad(prompts, policy.pad_id)
    width = input_ids.shape[1]
    hidden: list[torch.Tensor] = []
    hook = None
    if policy.value_head is not None:
        hook = policy._base().get_output_embeddings().register_forward_hook(
            lambda _m, args, _out: hidden.append(args[0][:, -1, :].detach())
        )
    capture = policy.frozen.capture() if policy.frozen.enabled else nullcontext([])
    try:
        with capture as captured:
            result = policy.model.generate(
                input_ids=input_ids.to(policy.device), attention_mask=attention.to(policy.device),
                generation_config=sampling_config(policy, greedy, temp, top_p, max_new_tokens, min_new_tokens))
    finally:
        if hook is not None:
            hook.remove()
    new_tokens = result.sequences[:, width:].cpu()
    logits = torch.stack(result.logits, dim=1).float() / temp  # [B, T, V]
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, new_tokens.to(logits.device).unsqueeze(-1))
    logprobs = logprobs.squeeze(-1).cpu()
    values = None  # a model whose generate bypasses the LM head module gets its values from a forward pass
    if policy.value_head is not None and len(hidden) == new_tokens.shape[1]:
        values = policy.value_head(torch.stack(hidden, dim=1)).cpu()
    gens = []
    stop = set(policy.stop_ids)
    for row, ids in enumerate(prompts):
        toks = new_tokens[row].tolist()
        length = next((i + 1 for i, t in enumerate(toks) if t in stop), len(toks))
        action = toks[:length]
        gens.append(Generation(
            text=policy.tokenizer.decode(action, skip_special_tokens=True).strip(),
            prompt_ids=list(ids), action_ids=action, logprobs=logprobs[row, :length].tolist(),
            values=values[row, :length].tolist() if values is not None else None,
        ))
    states = FrozenSplit.rows(captured, width, prompts, [g.action_ids for g in gens]) if captured else None
    for gen, state in zip(gens, states or [None] * len(gens), strict=True):
        gen.frozen = state
    if policy.value_head is not None and values is None:
        scores = policy.forward_actions([g.prompt_ids for g in gens], [g.action_ids for g in gens])
        for row, gen in enumerate(gens):
            assert scores.values is not None
            gen.values = scores.values[row, : len(gen.action_ids)].tolist()
    return gens
