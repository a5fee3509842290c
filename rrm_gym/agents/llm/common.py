"""Pieces shared by the PPO and GRPO learners: batching, reference log-probs, metrics, RNG state."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from rrm_gym.agents.llm.rollout import episode_summary, judge_stats, wrapper_stats

__all__ = [
    "pad_rows",
    "reference_logprobs",
    "score_rows",
    "check_sampling",
    "rollout_metrics",
    "minibatch_indices",
    "rng_state",
    "set_rng_state",
    "kl_k3",
    "WrapperStatsDelta",
]


def pad_rows(rows: Sequence[Sequence[float]], width: int, value: float = 0.0) -> torch.Tensor:
    """Right-pad variable-length rows into a ``[len(rows), width]`` float tensor."""
    out = torch.full((len(rows), width), value, dtype=torch.float32)
    for r, row in enumerate(rows):
        out[r, : len(row)] = torch.as_tensor(list(row), dtype=torch.float32)
    return out


def score_rows(policy: Any, rows: dict[str, list[Any]], idx: Sequence[int], *, with_values: bool = True,
               reference: bool = False) -> Any:
    """Log-probs, entropies and values of the turns ``idx`` of a batch, with gradient (``ActionScores``).

    A batch holds either generated actions (per-token scores, ``[B, T]``) or choices (one unit per turn,
    ``[B, 1]``); ``rows["choices"][i]`` says which.
    """
    choices = rows.get("choices") or [None] * len(rows["prompts"])
    picked = [choices[i] for i in idx]
    if all(c is not None for c in picked):
        return policy.forward_choices(picked, with_values=with_values, reference=reference)
    if any(c is not None for c in picked):
        raise ValueError("a minibatch mixes choices and generated actions")
    frozen = [rows["frozen"][i] for i in idx] if rows.get("frozen") else None
    return policy.forward_actions([rows["prompts"][i] for i in idx], [rows["actions"][i] for i in idx],
                                  with_values=with_values, reference=reference, frozen=frozen)


@torch.no_grad()
def reference_logprobs(policy: Any, rows: dict[str, list[Any]], chunk: int = 8) -> list[list[float]]:
    """Log-probs of each turn's action under the reference policy (the adapter disabled), ``chunk`` turns at once."""
    out: list[list[float]] = []
    n = len(rows["prompts"])
    for start in range(0, n, chunk):
        idx = list(range(start, min(n, start + chunk)))
        scores = score_rows(policy, rows, idx, with_values=False, reference=True)
        for r, i in enumerate(idx):
            out.append(scores.logprobs[r, : len(rows["logprobs"][i])].cpu().tolist())
    return out


def check_sampling(policy: Any) -> None:
    """Refuse settings whose sampling distribution differs from the one the update scores."""
    if getattr(policy, "top_p", 1.0) < 1.0:
        raise ValueError(f"top_p={policy.top_p} samples from a cut distribution the update does not score; "
                         "train with top_p=1.0 (use top_p only for evaluation)")


def kl_k3(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Per-token k3 estimate of KL(policy || reference): ``exp(ref - logp) - (ref - logp) - 1`` (>= 0)."""
    diff = ref_logprobs - logprobs
    return torch.exp(diff) - diff - 1.0


def minibatch_indices(n: int, num_minibatches: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A shuffled split of ``range(n)`` into at most ``num_minibatches`` non-empty parts."""
    order = rng.permutation(n)
    return [part for part in np.array_split(order, min(max(1, num_minibatches), max(1, n))) if len(part)]


class WrapperStatsDelta:
    """Per-iteration differences of the feedback wrapper's cumulative ``stats`` (judge calls, ...)."""

    def __init__(self, envs: Any) -> None:
        self.envs = envs
        self.last = wrapper_stats(envs) or {}

    def delta(self) -> dict[str, float]:
        """Change since the previous call."""
        now = wrapper_stats(self.envs) or {}
        out = {k: now[k] - self.last.get(k, 0.0) for k in now}
        self.last = now
        return out


def rollout_metrics(finished: list[dict[str, Any]], judgements: list[dict[str, Any]],
                    wrapper_delta: dict[str, float]) -> dict[str, float]:
    """Episode and judge metrics of one iteration (means over finished episodes; NaN where there were none)."""
    sums = [episode_summary(e) for e in finished]

    def mean(key: str) -> float:
        return float(np.mean([s[key] for s in sums])) if sums else float("nan")

    judged = judge_stats(judgements)
    calls = wrapper_delta.get("judge_calls")
    return {
        "reward_env": mean("reward_env"),
        "reward_rrm": mean("reward_rrm"),
        "reward_shaped": mean("reward"),
        "success_rate": mean("success"),
        "rrm_score": judged["rrm_score"],
        "judge_latency_s": judged["judge_latency_s"],
        "judge_failures": judged["judge_failures"],
        "judge_calls": float(calls) if calls is not None else judged["judgements"],
        "judgements": judged["judgements"],
        "cache_hits": judged["cache_hits"],
        "attempts_per_episode": float(np.mean([len(e["attempts"]) for e in finished])) if finished else math.nan,
    }


def rng_state(np_rng: np.random.Generator) -> dict[str, Any]:
    """Every RNG a learner touches: its numpy generator, torch, Python's ``random``."""
    state = {"numpy": np_rng.bit_generator.state, "torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(np_rng: np.random.Generator, state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    np_rng.bit_generator.state = state["numpy"]
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class CheckpointMixin:
    """``state_dict`` / ``load_state_dict`` shared by PPO and GRPO (policy weights are saved by ``policy.save``)."""

    optimizer: Any
    iterations: int
    env_steps: int
    episodes: int
    rng: np.random.Generator
    config: Any
    _recent: Any
    recent_episodes: Any  # a property of each learner

    def state_dict(self) -> dict[str, Any]:
        """Optimizer, counters and RNG states (the policy's weights are saved by ``policy.save``)."""
        return {"optimizer": self.optimizer.state_dict(), "iterations": self.iterations,
                "env_steps": self.env_steps, "episodes": self.episodes, "rng": rng_state(self.rng),
                "config": self.config.to_dict(), "recent_episodes": self.recent_episodes}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (episodes in progress are not saved: the next rollout starts anew)."""
        self.optimizer.load_state_dict(state["optimizer"])
        self.iterations = int(state["iterations"])
        self.env_steps = int(state["env_steps"])
        self.episodes = int(state["episodes"])
        set_rng_state(self.rng, state["rng"])
        self._recent.clear()
        self._recent.extend(state.get("recent_episodes", []))


def run_update_epochs(loss_fn: Any, n: int, config: Any, rng: np.random.Generator, optimizer: Any,
                      params: Sequence[torch.nn.Parameter], target_kl: float | None = None) -> dict[str, float]:
    """Epochs over shuffled minibatches: ``loss_fn(idx) -> (loss, parts)``, clipped gradient steps.

    Stops early after an epoch whose last minibatch has ``approx_kl > target_kl``; returns the mean of each part.
    """
    logs: list[dict[str, float]] = []
    for _epoch in range(config.update_epochs):
        for idx in minibatch_indices(n, config.num_minibatches, rng):
            loss, parts = loss_fn(idx)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            logs.append(parts)
        if target_kl is not None and logs[-1]["approx_kl"] > target_kl:
            break
    return {k: float(np.mean([log[k] for log in logs])) for k in logs[0]}

