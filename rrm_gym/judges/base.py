"""The judge protocol and the failure policy every caller of a judge uses.

A judge is any callable ``judge(requests: list[JudgeRequest]) -> list[Judgement]`` returning one judgement per
request, in order (batched, like TRL reward functions). :func:`call_judge` calls one safely: a judge that raises,
returns the wrong number of items or returns something else becomes ``ok=False`` judgements with the reason, so a
broken judge never crashes an env step unless the caller's policy is ``"raise"``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["Judge", "JudgeError", "OnError", "ON_ERROR_CHOICES", "call_judge", "judge_name", "check_on_error",
           "PicklableLock"]

OnError = Literal["neutral", "skip", "raise"]
ON_ERROR_CHOICES: tuple[str, ...] = ("neutral", "skip", "raise")


@runtime_checkable
class Judge(Protocol):
    """Anything that maps a batch of requests to a batch of judgements, same length and order."""

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch."""
        ...


class JudgeError(RuntimeError):
    """Raised for a failed judgement when the failure policy is ``"raise"``."""


def check_on_error(on_error: str) -> OnError:
    """Validate a failure policy name."""
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f"on_error must be one of {ON_ERROR_CHOICES}, got {on_error!r}")
    return on_error  # type: ignore[return-value]


def judge_name(judge: object) -> str:
    """A readable identity for a judge: its ``name`` attribute, else its class or function name."""
    name = getattr(judge, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(judge, "__qualname__", None) or type(judge).__name__


def call_judge(judge: Judge, requests: Sequence[JudgeRequest], *, on_error: str = "neutral") -> list[Judgement]:
    """Call ``judge`` on ``requests`` and always return one :class:`Judgement` per request.

    Args:
        judge: The judge callable.
        requests: The batch.
        on_error: ``"raise"`` raises :class:`JudgeError` on any failed judgement; other policies return the failures
            (``ok=False`` with ``error`` set) for the caller to treat as neutral or to skip.

    Example:
        >>> def broken(requests):
        ...     raise TimeoutError("judge server down")
        >>> from rrm_gym.types import Trajectory
        >>> out = call_judge(broken, [JudgeRequest("q", Trajectory(None, "q"))])
        >>> out[0].ok, out[0].error
        (False, 'TimeoutError: judge server down')
    """
    check_on_error(on_error)
    batch = list(requests)
    if not batch:
        return []
    start = time.perf_counter()
    try:
        out = judge(batch)
    except Exception as exc:  # noqa: BLE001 - any judge failure becomes a counted, visible failure
        name = judge_name(judge)
        if on_error == "raise":
            raise JudgeError(f"judge {name} failed: {exc}") from exc
        elapsed = time.perf_counter() - start
        return [Judgement.failure(f"{type(exc).__name__}: {exc}", judge=name, latency_s=elapsed) for _ in batch]
    if not isinstance(out, (list, tuple)) or len(out) != len(batch):
        elapsed, name = time.perf_counter() - start, judge_name(judge)
        got = len(out) if isinstance(out, (list, tuple)) else type(out).__name__
        error = f"judge {name} returned {got} judgements for {len(batch)} requests"
        if on_error == "raise":
            raise JudgeError(error)
        return [Judgement.failure(error, judge=name, latency_s=elapsed) for _ in batch]
    result = list(out)
    for k, item in enumerate(result):
        if not isinstance(item, Judgement):
            name = judge_name(judge)
            result[k] = Judgement.failure(f"judge {name} returned {type(item).__name__}, not Judgement", judge=name)
    if on_error == "raise":
        failed = [j for j in result if not j.ok]
        if failed:
            raise JudgeError(f"judge {judge_name(judge)} failed: {failed[0].error}")
    return result


class PicklableLock:
    """Mixin for judges that hold a ``self._lock``: pickling drops the lock and unpickling makes a new one.

    Judges must survive pickling to reach the workers of an ``AsyncVectorEnv``; a ``threading.Lock`` cannot.
    """

    _lock: threading.Lock

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

