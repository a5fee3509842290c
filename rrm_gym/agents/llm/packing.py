"""Packed candidate scoring: one prompt and all its candidate actions in ONE sequence, prompt encoded once.

A row is ``[prompt][candidate 1][candidate 2]...``. A 4-D attention mask lets every candidate token see the prompt
and the earlier tokens of its own candidate, never another candidate, and position ids restart at the prompt's
length for each candidate, so each candidate's token log-likelihood is exactly what a separate ``prompt +
candidate`` forward pass would give (tested), at the cost of ``len(prompt) + sum(len(candidate))`` tokens instead of
``k * len(prompt) + ...``. The same layout serves the rollout (no gradient) and the update (gradient through the
adapted layers), so their log-probs agree.

Imports torch (only the LLM policy uses this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = ["Packed", "pack", "candidate_token_logprobs", "reduce_scores", "NORMALISATIONS"]

NORMALISATIONS = ("token", "word", "sum")
"""How a candidate's token log-probs become its score: mean per token, sum per word (TWOSOME), or plain sum."""


@dataclass
class Packed:
    """A batch of packed rows, ready for the model.

    Attributes:
        input_ids: ``[B, N]`` token ids (right padding).
        position_ids: ``[B, N]``.
        mask: ``[B, 1, N, N]`` boolean attention mask (``True``: may attend).
        prompt_last: ``[B]`` column of each prompt's last token (its hidden state gives the value and predicts
            the first token of every candidate).
        pred_rows: ``[T]`` row of every scored candidate token.
        pred_cols: ``[T]`` column whose hidden state predicts that token.
        targets: ``[T]`` the token ids being scored.
        owner: ``[T]`` flat candidate index (``row * k_max + candidate``) each token belongs to.
        token_index: ``[T]`` position of each token inside its candidate (0 for the first).
        k_max: Most candidates in a row.
        counts: Candidates per row.
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    mask: torch.Tensor
    prompt_last: torch.Tensor
    pred_rows: torch.Tensor
    pred_cols: torch.Tensor
    targets: torch.Tensor
    owner: torch.Tensor
    token_index: torch.Tensor
    k_max: int
    counts: list[int]

    def to(self, device: torch.device) -> Packed:
        """The same batch on ``device``."""
        return Packed(*(t.to(device) for t in (self.input_ids, self.position_ids, self.mask, self.prompt_last,
                                                self.pred_rows, self.pred_cols, self.targets, self.owner,
                                                self.token_index)),
                      k_max=self.k_max, counts=self.counts)


def pack(prompts: Sequence[Sequence[int]], candidates: Sequence[Sequence[Sequence[int]]], pad_id: int) -> Packed:
    """Lay out each prompt with its candidates (each candidate at least one token) as one masked row.

    Example:
        >>> p = pack([[1, 2]], [[[3], [4, 5]]], pad_id=0)
        >>> p.input_ids.tolist(), p.position_ids.tolist(), p.targets.tolist()
        ([[1, 2, 3, 4, 5]], [[0, 1, 2, 2, 3]], [3, 4, 5])
    """
    if len(prompts) != len(candidates) or not prompts:
        raise ValueError("need one candidate list per prompt, and at least one prompt")
    lengths = []
    for p, cands in zip(prompts, candidates, strict=True):
        if not p or not cands or any(len(c) == 0 for c in cands):
            raise ValueError("every prompt and every candidate needs at least one token, every row a candidate")
        lengths.append(len(p) + sum(len(c) for c in cands))
    width, batch = max(lengths), len(prompts)
    k_max = max(len(c) for c in candidates)
    ids = torch.full((batch, width), pad_id, dtype=torch.long)
    pos = torch.zeros((batch, width), dtype=torch.long)
    segment = torch.full((batch, width), -2, dtype=torch.long)  # -2 padding, -1 prompt, j candidate j
    rows, cols, targets, owner, index, last = [], [], [], [], [], []
    for b, (p, cands) in enumerate(zip(prompts, candidates, strict=True)):
        n = len(p)
        ids[b, :n] = torch.as_tensor(list(p))
        pos[b, :n] = torch.arange(n)
        segment[b, :n] = -1
        last.append(n - 1)
        at = n
        for j, cand in enumerate(cands):
            m = len(cand)
            ids[b, at : at + m] = torch.as_tensor(list(cand))
            pos[b, at : at + m] = torch.arange(n, n + m)
            segment[b, at : at + m] = j
            rows += [b] * m
            cols += [n - 1] + list(range(at, at + m - 1))
            targets += list(cand)
            owner += [b * k_max + j] * m
            index += list(range(m))
            at += m
    causal = torch.ones((width, width), dtype=torch.bool).tril()
    seg_q, seg_k = segment[:, :, None], segment[:, None, :]
    allowed = causal[None] & ((seg_k == -1) | (seg_k == seg_q)) & (seg_q != -2)
    allowed |= torch.eye(width, dtype=torch.bool)[None]  # padding attends to itself: no empty softmax rows
    return Packed(ids, pos, allowed[:, None], torch.as_tensor(last), torch.as_tensor(rows), torch.as_tensor(cols),
                  torch.as_tensor(targets), torch.as_tensor(owner), torch.as_tensor(index), k_max,
                  [len(c) for c in candidates])


def candidate_token_logprobs(hidden: torch.Tensor, packed: Packed, lm_head: torch.nn.Module,
                             temperature: float = 1.0) -> torch.Tensor:
    """Log-prob ``[T]`` of every candidate token; only the predicting positions go through the LM head."""
    states = hidden[packed.pred_rows, packed.pred_cols]
    logits = lm_head(states).float() / temperature
    return torch.log_softmax(logits, dim=-1).gather(-1, packed.targets[:, None]).squeeze(-1)


def reduce_scores(token_logprobs: torch.Tensor, packed: Packed, divisors: torch.Tensor) -> torch.Tensor:
    """Candidate scores ``[B, k_max]``: per-candidate sums of token log-probs divided by ``divisors``.

    ``divisors`` is ``[B, k_max]`` (token or word counts, or ones); missing candidates get ``-inf``.
    """
    batch = len(packed.counts)
    sums = torch.zeros(batch * packed.k_max, dtype=token_logprobs.dtype, device=token_logprobs.device)
    sums = sums.index_add(0, packed.owner, token_logprobs).view(batch, packed.k_max)
    present = torch.zeros((batch, packed.k_max), dtype=torch.bool, device=sums.device)
    for b, count in enumerate(packed.counts):
        present[b, :count] = True
    return torch.where(present, sums / divisors.clamp(min=1e-6), torch.full_like(sums, float("-inf")))
