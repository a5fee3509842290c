"""Token-level data of :class:`~rrm_gym.agents.llm.policy.LLMPolicy`: generations, scores, prompt fitting, padding.

Imports torch (only :mod:`rrm_gym.agents.llm.policy` and the learners import this module).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from rrm_gym.agents.llm.conversation import Conversation

__all__ = ["Generation", "ActionScores", "fit_prompt", "left_pad", "prompt_action_layout"]


@dataclass
class Generation:
    """One generated action.

    Attributes:
        text: The action text (special tokens removed, stripped).
        prompt_ids: Token ids of the (possibly truncated) prompt.
        action_ids: Generated token ids, up to and including the end-of-turn token when one was produced.
        logprobs: Log-prob of each action token under the sampling distribution (logits / temperature).
        values: Value-head estimate at each action token (``None`` without a value head).
        prompt_truncated: Whether the conversation was cut to fit the prompt budget.
        frozen: Hidden states below the LoRA layers for the prompt and action tokens (``None`` when not kept);
            pass them to ``forward_actions(frozen=...)`` to skip recomputing the frozen layers.

    Example:
        >>> Generation("click: About", [1, 2], [3, 4], [-0.5, -0.1]).action_ids
        [3, 4]
    """

    text: str
    prompt_ids: list[int]
    action_ids: list[int]
    logprobs: list[float]
    values: list[float] | None = None
    prompt_truncated: bool = False
    frozen: Any = None


@dataclass
class ActionScores:
    """Per-token results of :meth:`LLMPolicy.forward_actions`, all ``[batch, max_action_len]``.

    Attributes:
        logprobs: Log-probs of the action tokens.
        entropy: Entropy of the next-token distribution at each action token.
        values: Values (``None`` when not asked for or no value head).
        mask: ``True`` where a real action token is (``False`` on padding).

    Example:
        >>> z = torch.zeros(1, 2)
        >>> ActionScores(z, z, None, z.bool()).logprobs.shape
        torch.Size([1, 2])
    """

    logprobs: torch.Tensor
    entropy: torch.Tensor
    values: torch.Tensor | None
    mask: torch.Tensor


def fit_prompt(render: Callable[[Conversation], list[int]], conversation: Conversation,
               max_tokens: int) -> tuple[list[int], bool]:
    """Render ``conversation`` to prompt ids of at most ``max_tokens``; return the ids and whether it was cut.

    First the oldest (assistant, user) exchanges after the first observation go (the system message and the first
    observation, which holds the question and the tools, stay); then the longest messages are cut in the middle;
    as a last resort the ids are cut from the left.
    """
    conv = [{"role": str(m["role"]), "content": str(m["content"])} for m in conversation]
    ids = render(conv)
    if len(ids) <= max_tokens:
        return ids, False
    head = 2 if conv and conv[0]["role"] == "system" else 1
    while len(ids) > max_tokens and len(conv) > head + 1:
        del conv[head : head + 2 if len(conv) > head + 2 else head + 1]  # oldest (assistant, user) exchange
        ids = render(conv)
    for _ in range(8):
        if len(ids) <= max_tokens:
            return ids, True
        longest = max(range(len(conv)), key=lambda i: len(conv[i]["content"]))
        content = conv[longest]["content"]
        keep = max(16, int(len(content) * max_tokens / len(ids) * 0.9) // 2)
        if 2 * keep >= len(content):
            break
        conv[longest]["content"] = content[:keep] + "\n[...]\n" + content[-keep:]
        ids = render(conv)
    return (ids if len(ids) <= max_tokens else ids[-max_tokens:]), True


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left-pad token rows; return ``(input_ids, attention_mask, position_ids)``."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attn = torch.zeros_like(ids)
    for r, row in enumerate(rows):
        if row:
            ids[r, width - len(row) :] = torch.as_tensor(list(row), dtype=torch.long)
            attn[r, width - len(row) :] = 1
    return ids, attn, (attn.cumsum(-1) - 1).clamp(min=0)


def prompt_action_layout(prompts: Sequence[Sequence[int]], actions: Sequence[Sequence[int]], pad_id: int
                         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """Rows ``[left padding, prompt, action, right padding]`` so that every action starts at the same column.

    Returns:
        ``(input_ids, attention_mask, position_ids, action_mask, prompt_width)``; ``action_mask`` is
        ``[batch, max_action_len]``.
    """
    p_width = max(len(p) for p in prompts)
    a_width = max(len(a) for a in actions)
    ids = torch.full((len(prompts), p_width + a_width), pad_id, dtype=torch.long)
    attn = torch.zeros_like(ids)
    mask = torch.zeros((len(prompts), a_width), dtype=torch.bool)
    for r, (p, a) in enumerate(zip(prompts, actions, strict=True)):
        ids[r, p_width - len(p) : p_width + len(a)] = torch.as_tensor(list(p) + list(a), dtype=torch.long)
        attn[r, p_width - len(p) : p_width + len(a)] = 1
        mask[r, : len(a)] = True
    return ids, attn, (attn.cumsum(-1) - 1).clamp(min=0), mask, p_width
