"""Judge failures made visible during a run: the first one is printed with its error, a high rate is called out.

:class:`FailureTap` wraps the run's judge and remembers the first failed judgement's error (it changes nothing it
passes through: the feedback wrappers still apply the ``on_error`` policy). :class:`JudgeWatch` reads each
iteration's metrics row and returns the warnings to print: the first failure of the run (with the error, e.g.
connection refused or a timeout) and, once, a failure rate above :data:`RATE_THRESHOLD` (parse failures of an LLM
judge show up there). :func:`judge_text` is the judge part of the live progress line and of the summary.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from rrm_gym.judges.base import judge_name
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["FailureTap", "JudgeWatch", "judge_text", "RATE_THRESHOLD"]

RATE_THRESHOLD = 0.2
"""Share of failed judgements (after :data:`_MIN_JUDGED`) above which the run warns, once."""
_MIN_JUDGED = 10


class FailureTap:
    """A judge that calls ``judge`` and notes its failures (count and first error); results pass unchanged.

    Example:
        >>> from rrm_gym.types import Trajectory
        >>> tap = FailureTap(lambda reqs: [Judgement.failure("HTTP 503") for _ in reqs])
        >>> _ = tap([JudgeRequest("q", Trajectory(None, "q"))])
        >>> tap.failures, tap.first_error
        (1, 'HTTP 503')
    """

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.name = judge_name(judge)
        self.failures = 0
        self.first_error: str | None = None
        self._lock = threading.Lock()

    def _note(self, error: str, count: int) -> None:
        with self._lock:
            self.failures += count
            if self.first_error is None:
                self.first_error = error

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge the batch with the wrapped judge."""
        try:
            out = self.judge(requests)
        except Exception as exc:
            self._note(f"{type(exc).__name__}: {exc}", len(requests))
            raise
        if isinstance(out, (list, tuple)):
            for item in out:
                if isinstance(item, Judgement) and not item.ok:
                    self._note(str(item.error or "failed judgement"), 1)
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("judge", "_lock"):
            raise AttributeError(name)
        return getattr(self.judge, name)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


def judge_text(score: Any, failures: Any, judged: Any) -> str:
    """``0.42``, or ``– (8 of 8 failed)`` when judgements failed: the score with the failures next to it.

    Example:
        >>> judge_text(0.5, 0, 4), judge_text(float("nan"), 8, 8)
        ('0.50', '– (8 of 8 failed)')
    """
    value = _num(score)
    text = "–" if value is None else f"{value:.2f}"
    fails, total = _num(failures), _num(judged)
    if fails:
        text += f" ({int(fails)} of {int(total or fails)} failed)"
    return text


class JudgeWatch:
    """Decides which judge warnings a run prints (each at most once)."""

    def __init__(self, tap: FailureTap | None = None, on_error: str = "neutral") -> None:
        self.tap = tap
        self.on_error = on_error
        self._warned_first = False
        self._warned_rate = False

    def _error(self, episodes: Sequence[Mapping[str, Any]]) -> str:
        if self.tap is not None and self.tap.first_error:
            return self.tap.first_error
        for ep in episodes:
            for att in ep.get("attempts", ()):
                if att.get("judge_ok") is False and att.get("judge_error"):
                    return str(att["judge_error"])
        return "no error message recorded"

    def update(self, row: Mapping[str, Any], episodes: Sequence[Mapping[str, Any]] = ()) -> list[str]:
        """The warnings this iteration's metrics ``row`` (with cumulative ``*_total`` counts) calls for."""
        out: list[str] = []
        fails = int(_num(row.get("judge_failures")) or 0)
        if fails and not self._warned_first:
            self._warned_first = True
            judged = int(_num(row.get("judged_attempts")) or fails)
            out.append(f"the judge failed on {fails} of {judged} attempts in iteration {row.get('iteration', '?')}: "
                       f"{self._error(episodes)}. Failed judgements count as {self.on_error} (on_error="
                       f"{self.on_error}); see judge_failures in metrics.jsonl")
        total_fails = _num(row.get("judge_failures_total")) or 0
        total = _num(row.get("judge_calls_total")) or 0
        if not self._warned_rate and total >= _MIN_JUDGED and total_fails / total > RATE_THRESHOLD:
            self._warned_rate = True
            out.append(f"{100 * total_fails / total:.0f}% of judgements have failed so far ({int(total_fails)} of "
                       f"{int(total)}); the RRM feedback of this run is mostly missing")
        return out
