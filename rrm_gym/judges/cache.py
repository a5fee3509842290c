"""``CachedJudge``: a persistent SQLite cache in front of any judge.

The key is a SHA-256 of the key format (:data:`KEY_FORMAT`), the judge's identity, its **version** and what
determines its answer: the judge's ``cache_key(request)`` when it has one, else the whole request. Each backend puts
its version in its ``cache_key``: the reference judge its ``VERSION`` constant (bumped whenever its scoring or
writing changes) and options, ``hf`` the identity (size + mtime) of the model folder's weight and config files,
``openai`` the base URL, model name and prompt, ``vllm`` the model and prompt, ``constant`` its settings. A judge
without ``cache_key`` may expose a ``version`` attribute or ``cache_version()`` method (looked up through wrapper
judges' ``.judge`` too), which is added to the key. So a changed judge never answers from stale entries.

The database runs in WAL mode with a busy timeout, so several threads and processes can share one file; each process
opens its own connection (also after ``fork``). Only ``ok`` judgements are stored: a failure is retried next time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from rrm_gym.judges.base import call_judge, judge_name
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["CachedJudge", "KEY_FORMAT", "judge_version"]

KEY_FORMAT = 2
"""Version of the key layout itself (2: judge versions in the key); entries written under another layout never hit."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS judgements (
    key TEXT PRIMARY KEY,
    judge TEXT NOT NULL,
    judgement TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def judge_version(judge: Any) -> Any:
    """A judge's declared version: ``cache_version()`` or ``version``, looked up through wrappers' ``.judge``.

    Example:
        >>> from rrm_gym.judges.reference import ReferenceJudge, VERSION
        >>> judge_version(ReferenceJudge()) == VERSION
        True
    """
    seen = 0
    while judge is not None and seen < 8:
        method = getattr(judge, "cache_version", None)
        if callable(method):
            return method()
        version = getattr(judge, "version", None)
        if version is not None and not callable(version):
            return version
        judge, seen = getattr(judge, "judge", None), seen + 1
    return None


class CachedJudge:
    """Answer repeated requests from an SQLite file instead of calling ``judge`` again.

    Args:
        judge: The judge to cache.
        path: SQLite file (created with its folders when missing).
        busy_timeout_s: How long to wait for another writer's lock.

    Attributes:
        hits: Requests answered without a model call (from the file, or a repeat inside the same batch).
        misses: Requests sent to the inner judge.

    Example:
        >>> import tempfile, os
        >>> from rrm_gym.judges.constant import ConstantJudge
        >>> from rrm_gym.types import Trajectory
        >>> judge = CachedJudge(ConstantJudge(), os.path.join(tempfile.mkdtemp(), "judge.sqlite"))
        >>> req = JudgeRequest("q", Trajectory(None, "q"))
        >>> judge([req])[0].cached, judge([req])[0].cached, judge.hits, judge.misses
        (False, True, 1, 1)
    """

    def __init__(self, judge: Any, path: str | os.PathLike[str], busy_timeout_s: float = 30.0) -> None:
        self.judge = judge
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_s = float(busy_timeout_s)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self._connection()  # fail early on an unusable path

    @property
    def name(self) -> str:
        """The inner judge's identity."""
        return judge_name(self.judge)

    # ----------------------------------------------------------------- storage
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout_s, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            with conn:
                conn.execute(_SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def key(self, request: JudgeRequest) -> str:
        """The cache key of ``request`` for this judge."""
        custom = getattr(self.judge, "cache_key", None)
        payload = custom(request) if callable(custom) else request.to_dict()
        head = {"format": KEY_FORMAT, "judge": self.name, "version": judge_version(self.judge)}
        text = json.dumps({**head, "payload": payload}, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _load(self, keys: list[str]) -> dict[str, Judgement]:
        found: dict[str, Judgement] = {}
        unique = sorted(set(keys))
        with self._lock:
            conn = self._connection()
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = conn.execute(f"SELECT key, judgement FROM judgements WHERE key IN ({marks})", part)
                for key, blob in rows:
                    try:
                        found[key] = Judgement.from_dict(json.loads(blob))
                    except (ValueError, TypeError):  # a corrupt row is a miss; it is overwritten below
                        continue
        return found

    def _store(self, items: list[tuple[str, Judgement]]) -> None:
        rows = [(k, self.name, json.dumps(j.to_dict()), time.time()) for k, j in items if j.ok]
        if not rows:
            return
        with self._lock:
            conn = self._connection()
            with conn:
                conn.executemany("INSERT OR REPLACE INTO judgements VALUES (?, ?, ?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT COUNT(*) FROM judgements").fetchone()[0])

    def close(self) -> None:
        """Close this process's connection (it reopens on the next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_conn"], state["_pid"], state["_lock"] = None, -1, None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- judging
    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch: cached requests cost nothing, the rest go to the inner judge in one call."""
        batch = list(requests)
        keys = [self.key(r) for r in batch]
        found = self._load(keys)
        results: list[Judgement | None] = [None] * len(batch)
        pending: dict[str, list[int]] = {}  # identical requests in one batch are judged once
        for i, key in enumerate(keys):
            if key in found:
                results[i] = dataclasses.replace(found[key], cached=True, latency_s=0.0)
            else:
                pending.setdefault(key, []).append(i)
        with self._lock:  # a miss is a request the inner judge sees; repeats inside the batch are hits
            self.misses += len(pending)
            self.hits += len(batch) - len(pending)
        if pending:
            todo = list(pending)
            judged = call_judge(self.judge, [batch[pending[k][0]] for k in todo])
            self._store(list(zip(todo, judged, strict=True)))
            for key, judgement in zip(todo, judged, strict=True):
                first, *repeats = pending[key]
                results[first] = judgement
                again = dataclasses.replace(judgement, cached=True, latency_s=0.0) if judgement.ok else judgement
                for i in repeats:
                    results[i] = again
        return [r if r is not None else Judgement.failure("not judged", judge=self.name) for r in results]
