"""Small decisions :class:`~rrm_gym.agents.llm.policy.LLMPolicy` makes once, when it is built.

Whether to run in mixed precision, and which token ends an assistant turn in the model's chat template.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["cpu_has_bf16", "use_mixed_precision", "end_of_turn_id"]


def cpu_has_bf16() -> bool:
    """Whether this CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "")
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def use_mixed_precision(policy: Any, wanted: bool | str) -> bool:
    """Resolve ``mixed_precision``: ``"auto"`` is on for ``choose`` mode on a float32 model on a bf16-capable CPU.

    Mixed precision keeps the frozen layers in bfloat16 and runs the adapted layers under bfloat16 autocast (their
    weights, gradients and optimizer state stay float32); rollout and update both run that way, so their
    log-probs agree.
    """
    if wanted == "auto":
        return (policy.device.type == "cpu" and cpu_has_bf16() and policy.action_mode == "choose"
                and policy.dtype == torch.float32)
    if not isinstance(wanted, bool):
        raise ValueError(f"mixed_precision must be True, False or 'auto', got {wanted!r}")
    if wanted and policy.action_mode != "choose":
        raise ValueError("mixed_precision needs action_mode='choose' (free-text generation runs in one dtype)")
    return wanted


def end_of_turn_id(tokenizer: Any, stop_ids: list[int]) -> int:
    """The token the chat template puts right after an assistant message (it ends every scored candidate).

    Example:
        >>> end_of_turn_id(None, [7])  # no template to read: the first stop token
        7
    """
    try:
        turn = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
        prompt = tokenizer.apply_chat_template(turn[:1], tokenize=False, add_generation_prompt=True)
        full = tokenizer.apply_chat_template(turn, tokenize=False)
    except Exception:  # noqa: BLE001 - any template surprise: fall back to the first stop token
        return stop_ids[0]
    tail = full[len(prompt) + 1:] if full.startswith(prompt + "b") else ""
    ids = tokenizer(tail, add_special_tokens=False)["input_ids"] if tail.strip() else []
    return int(ids[0]) if ids and ids[0] in stop_ids else stop_ids[0]
