"""What an evaluation reports, for every agent alike: :class:`EvalResult` built from per-episode outcomes.

Every evaluator (the LLM policies', SB3's, TRL's) records one :class:`EpisodeOutcome` per episode and calls
:func:`summarise_results`, so every agent's result has the same fields: success rate with a Wilson 95% interval,
mean env reward, mean steps and per-task results. An evaluation with critiques at inference (Reagent-C,
``rrm-gym eval --feedback critique``) also records each episode's first-attempt success and gets a ``critique``
block: success at attempt 1, success after the refinement, and how many answers the refinement fixed and broke.

This module is torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

__all__ = ["EvalResult", "EpisodeOutcome", "summarise_results", "wilson_interval"]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default).

    Example:
        >>> lo, hi = wilson_interval(5, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.237, 0.763)
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


class EpisodeOutcome(NamedTuple):
    """One evaluated episode.

    Attributes:
        task_id: The task (``info["task_id"]``, else ``episode-<k>``).
        success: Whether the episode ended in success (under critiques: its last attempt).
        reward: Total env reward of the episode (all attempts).
        steps: Agent steps in the episode (all attempts).
        first_success: Whether attempt 1 succeeded; ``None`` when the evaluation ran without critiques.
        attempts: Attempts the episode took.
    """

    task_id: str
    success: bool
    reward: float
    steps: int
    first_success: bool | None = None
    attempts: int = 1


@dataclass
class EvalResult:
    """Result of an evaluation.

    Attributes:
        success_rate: Fraction of episodes that succeeded (``info["is_success"]``, else total reward > 0); with
            critiques at inference, success after the refinement (the last attempt's answer).
        ci_low: Lower end of the Wilson 95% interval of the success rate.
        ci_high: Upper end of the Wilson 95% interval.
        mean_reward: Mean total env reward per episode.
        episodes: Number of episodes run.
        per_task: ``task_id -> {"episodes", "successes", "success_rate", "mean_reward", "mean_steps"}``.
        mean_steps: Mean number of agent steps per episode.
        env_id: The env evaluated on.
        split: The task split used.
        critique: With critiques at inference: ``success_attempt_1`` (and its ``_ci``), ``success_refined`` (and
            its ``_ci``), ``fixed`` (wrong at attempt 1, right after the refinement), ``broke`` (right, then
            wrong), ``kept_right``, ``kept_wrong``, ``refined`` (episodes that got a refinement) and
            ``attempts_mean``; ``None`` otherwise.

    Example:
        >>> EvalResult(0.5, 0.2, 0.8, 0.5, 10).to_dict()["episodes"]
        10
    """

    success_rate: float
    ci_low: float
    ci_high: float
    mean_reward: float
    episodes: int
    per_task: dict[str, dict[str, float]] = field(default_factory=dict)
    mean_steps: float = 0.0
    env_id: str = ""
    split: str = "test"
    critique: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (what ``rrm-gym eval`` prints); no ``critique`` key without critiques."""
        data = asdict(self)
        if data["critique"] is None:
            del data["critique"]
        return data


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _critique_block(results: Sequence[EpisodeOutcome]) -> dict[str, Any]:
    n = len(results)
    first = [bool(r.first_success) for r in results]
    final = [r.success for r in results]
    first_wins, final_wins = sum(first), sum(final)
    return {
        "success_attempt_1": first_wins / n if n else 0.0,
        "success_attempt_1_ci": list(wilson_interval(first_wins, n)),
        "success_refined": final_wins / n if n else 0.0,
        "success_refined_ci": list(wilson_interval(final_wins, n)),
        "fixed": sum(1 for a, b in zip(first, final, strict=True) if not a and b),
        "broke": sum(1 for a, b in zip(first, final, strict=True) if a and not b),
        "kept_right": sum(1 for a, b in zip(first, final, strict=True) if a and b),
        "kept_wrong": sum(1 for a, b in zip(first, final, strict=True) if not a and not b),
        "refined": sum(1 for r in results if r.attempts > 1),
        "attempts_mean": _mean([float(r.attempts) for r in results]),
    }


def summarise_results(results: Sequence[EpisodeOutcome | tuple[Any, ...]], env_id: Any, split: str) -> EvalResult:
    """The :class:`EvalResult` of per-episode outcomes (``critique`` when any outcome has ``first_success``).

    Example:
        >>> res = summarise_results([EpisodeOutcome("t1", True, 1.0, 2), EpisodeOutcome("t2", False, 0.0, 4)],
        ...                         "rrm/WebWalker-v0", "test")
        >>> res.success_rate, res.mean_steps, res.per_task["t1"]["mean_steps"]
        (0.5, 3.0, 2.0)
    """
    outcomes = [r if isinstance(r, EpisodeOutcome) else EpisodeOutcome(*r) for r in results]
    n = len(outcomes)
    wins = sum(1 for r in outcomes if r.success)
    low, high = wilson_interval(wins, n)
    per_task: dict[str, dict[str, float]] = {}
    for r in outcomes:
        row = per_task.setdefault(r.task_id, {"episodes": 0, "successes": 0, "success_rate": 0.0,
                                              "mean_reward": 0.0, "mean_steps": 0.0})
        row["episodes"] += 1
        row["successes"] += int(r.success)
        row["mean_reward"] += r.reward
        row["mean_steps"] += r.steps
    for row in per_task.values():
        row["success_rate"] = row["successes"] / row["episodes"]
        row["mean_reward"] /= row["episodes"]
        row["mean_steps"] /= row["episodes"]
    with_critique = any(r.first_success is not None for r in outcomes)
    return EvalResult(
        success_rate=wins / n if n else 0.0,
        ci_low=low,
        ci_high=high,
        mean_reward=_mean([r.reward for r in outcomes]),
        episodes=n,
        per_task=per_task,
        mean_steps=_mean([float(r.steps) for r in outcomes]),
        env_id=env_id if isinstance(env_id, str) else getattr(env_id, "__name__", "env"),
        split=split,
        critique=_critique_block(outcomes) if with_critique else None,
    )
