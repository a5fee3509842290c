"""``ConstantJudge``: an instant stub judge for tests and benchmarks where the judge is not what is measured."""

from __future__ import annotations

import threading
import time
from typing import Any

from rrm_gym.judges.base import PicklableLock
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["ConstantJudge"]


class ConstantJudge(PicklableLock):
    """Gives every request the same score and critique, instantly; counts its calls.

    Args:
        score: The score in [0, 1].
        critique: The critique text.

    Attributes:
        calls: Number of batched calls so far.
        requests_seen: Number of requests judged so far.

    Example:
        >>> from rrm_gym.types import Trajectory
        >>> judge = ConstantJudge(0.25)
        >>> judge([JudgeRequest("q", Trajectory(None, "q"))])[0].score
        0.25
    """

    def __init__(self, score: float = 0.5, critique: str = "Check each step against the observations.") -> None:
        score = float(score)
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {score}")
        self.score = score
        self.critique = critique
        self.name = f"constant:{score:g}"
        self.calls = 0
        self.requests_seen = 0
        self._lock = threading.Lock()

    def cache_key(self, request: JudgeRequest) -> dict[str, Any]:
        """What determines the judgement: the settings (the request only keys the entry)."""
        return {"settings": {"score": self.score, "critique": self.critique}, "request": request.to_dict()}

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch: the same judgement for every request."""
        start = time.perf_counter()
        batch = list(requests)
        with self._lock:
            self.calls += 1
            self.requests_seen += len(batch)
        raw = f"<think>constant judge</think>\n<critique>{self.critique}</critique>\n<score>{self.score}</score>"
        latency = (time.perf_counter() - start) / max(1, len(batch))
        return [
            Judgement(score=self.score, critique=self.critique, raw=raw, judge=self.name, latency_s=latency)
            for _ in batch
        ]
