"""Token-level helpers of the attempt rollout (:mod:`~.rollout`).

Replies are sampled with the trainer's own model (or its vLLM engine) together with their sampling
log-probabilities; :func:`turn_suffix_ids` gives the token ids that put env observations into a conversation
without re-tokenising it.

Sampling log-probabilities are those of the distribution the token was drawn from: with ``transformers`` the
processed scores (after temperature, top-k/top-p, repetition penalty), as ``generate(output_scores=True)`` returns
them; with vLLM what the engine reports (TRL's own vLLM path keeps the same top-1 value).
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any, NamedTuple

__all__ = ["Reply", "eos_token_ids", "generate_replies", "turn_suffix_ids"]


class Reply(NamedTuple):
    """One sampled reply.

    Attributes:
        ids: Its token ids, up to and including the first end-of-turn token.
        logprobs: The sampling log-probability of each of those tokens.
        ended: Whether it ends with an end-of-turn token (else it was cut by its token budget).
    """

    ids: list[int]
    logprobs: list[float]
    ended: bool


def eos_token_ids(trainer: Any) -> set[int]:
    """The end-of-turn token ids the trainer generates with."""
    ids = getattr(trainer, "eos_token_ids", None)
    if ids:
        return {int(i) for i in ids}
    return {int(trainer.processing_class.eos_token_id)}


def generate_replies(trainer: Any, contexts: list[list[int]], budgets: list[int]) -> list[Reply]:
    """Sample one reply per context with the trainer's model and sampling settings.

    Args:
        trainer: A ``trl.GRPOTrainer`` (its ``model_wrapped``, ``accelerator``, ``generation_config``; or its
            ``vllm_generation`` when ``use_vllm``).
        contexts: Token ids of each conversation so far (ending with the assistant header).
        budgets: Most tokens each reply may have.

    Returns:
        One :class:`Reply` per context. With vLLM the call is made even for no contexts, because in server mode
        every process must take part in each generation call.
    """
    if getattr(trainer, "use_vllm", False):
        raw = vllm_replies(trainer.vllm_generation, contexts)
    elif not contexts:
        return []
    else:
        raw = _hf_replies(trainer, contexts, max(budgets))
    eos = eos_token_ids(trainer)
    out = []
    for (ids, logprobs), budget in zip(raw, budgets, strict=True):
        cut = next((i + 1 for i, tok in enumerate(ids) if tok in eos), len(ids))
        cut = max(0, min(cut, budget))
        ids, logprobs = list(ids[:cut]), list(logprobs[:cut])
        out.append(Reply(ids, logprobs, bool(ids) and ids[-1] in eos))
    return out


def vllm_replies(vllm_generation: Any, contexts: list[list[int]]) -> list[tuple[list[int], list[Any]]]:
    """Replies and their top-1 log-probabilities from TRL's ``VLLMGeneration`` (as TRL's own vLLM path calls it)."""
    _, completion_ids, logprobs, _ = vllm_generation.generate(prompts=contexts, images=None, num_generations=1,
                                                              profiler=None)
    return [(list(ids), [lp[0] for lp in seq]) for ids, seq in zip(completion_ids, logprobs, strict=True)]


def _hf_replies(trainer: Any, contexts: list[list[int]], max_new_tokens: int) -> list[tuple[list[int], list[float]]]:
    import torch
    from trl.models import unwrap_model_for_generation

    from rrm_gym._warnings import quiet_third_party_deprecations

    pad_id = trainer.processing_class.pad_token_id
    width = max(len(c) for c in contexts)
    input_ids = torch.full((len(contexts), width), int(pad_id), dtype=torch.long)
    attention = torch.zeros((len(contexts), width), dtype=torch.long)
    for row, ctx in enumerate(contexts):  # left padding, as TRL generates
        input_ids[row, width - len(ctx):] = torch.tensor(ctx, dtype=torch.long)
        attention[row, width - len(ctx):] = 1
    device = trainer.accelerator.device
    config = copy.deepcopy(trainer.generation_config)
    config.max_new_tokens = max(1, int(max_new_tokens))
    config.output_scores, config.return_dict_in_generate = True, True
    args = trainer.args
    dist = getattr(trainer, "_dist", None)  # FSDP v1 needs full parameters to generate
    summon = dist.summon_full_params(trainer.model_wrapped, recurse=False) if dist else contextlib.nullcontext()
    with (
        quiet_third_party_deprecations(),  # trl reads transformers' deprecated is_gradient_checkpointing
        unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator,
                                    gather_deepspeed3_params=args.ds3_gather_for_generation,
                                    generation_kwargs=trainer.generation_kwargs,
                                    gradient_checkpointing_kwargs=args.gradient_checkpointing_kwargs) as model,
        torch.no_grad(),
        summon,
    ):
        out = model.generate(input_ids=input_ids.to(device), attention_mask=attention.to(device),
                             generation_config=config)
        generated = out.sequences[:, width:]
        steps = [scores.float().log_softmax(-1).gather(1, generated[:, t:t + 1]).squeeze(1)
                 for t, scores in enumerate(out.scores)]
        logprobs = torch.stack(steps, dim=1) if steps else torch.zeros_like(generated, dtype=torch.float)
    return [(generated[row].tolist(), logprobs[row].tolist()) for row in range(len(contexts))]


def turn_suffix_ids(tokenizer: Any, messages: list[dict[str, Any]], tools: list[Any] | None = None,
                    **template_kwargs: Any) -> list[int]:
    """Token ids that follow an assistant reply's end-of-turn token: ``messages`` rendered, then the next header.

    The same construction as TRL's ``GRPOTrainer._get_tool_suffix_ids`` (a dummy conversation rendered with and
    without the new messages, cut after the reply's last end-of-turn token), for ``tool`` results and for ``user``
    observations alike.
    """
    if messages and messages[0].get("role") == "tool":
        call = {"type": "function", "function": {"name": str(messages[0].get("name", "tool")), "arguments": {}}}
        assistant: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": [call]}
    else:
        assistant = {"role": "assistant", "content": "ok"}
    dummy = [{"role": "user", "content": "dummy"}, assistant]
    prefix = tokenizer.apply_chat_template(dummy, tools=tools, add_generation_prompt=False, tokenize=True,
                                           return_dict=False, **template_kwargs)
    full = tokenizer.apply_chat_template(dummy + list(messages), tools=tools, add_generation_prompt=True,
                                         tokenize=True, return_dict=False, **template_kwargs)
    eos = [i for i, tok in enumerate(prefix) if tok == tokenizer.eos_token_id]
    if eos:
        prefix = prefix[: eos[-1] + 1]
    if list(full[: len(prefix)]) != list(prefix):
        raise ValueError("unexpected chat template: the conversation before an observation is not a prefix of the "
                         "conversation with it")
    return list(full[len(prefix):])
