"""Crash-safe JSONL files of the distill run directory, and the record each line holds.

A *record* is one trajectory with what the pipeline knows about it::

    {"key": "rrm/WebWalker-v0|train|webwalker-...|0", "env": "rrm/WebWalker-v0", "task_id": "...",
     "split": "train", "policy": "solver:detour", "success": true, "reward": 1.0,
     "trajectory": {...Trajectory.to_dict()...}, "reference": {...privileged...},
     "teacher": {...Judgement.to_dict()...}}          # the last key once labelled

``reference`` is privileged: the teacher may read it, judge-eval uses it for the reference judge and the leak check,
and the student's training text never contains it. Lines are appended and fsynced one by one, so a run killed at
any moment leaves complete lines only; a torn last line is dropped when the file is opened again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rrm_gym._fsutil import fsync_dir
from rrm_gym.report.metrics import read_jsonl
from rrm_gym.types import JudgeRequest, Trajectory

__all__ = ["JsonlFile", "read_records", "write_records", "request_of", "write_json"]


read_records = read_jsonl
"""The complete JSON objects of a JSONL file (torn or corrupt lines skipped); ``[]`` when it does not exist."""


def write_records(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` atomically (temporary file, fsync, rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
    fsync_dir(p.parent)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write one JSON document atomically (NaN becomes ``null``)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(json.dumps(_finite(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, p)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class JsonlFile:
    """An append-only JSONL file of records keyed by ``record["key"]``; reopening drops a torn last line.

    Args:
        path: The file (created with its folders).

    Example:
        >>> import tempfile, pathlib
        >>> f = JsonlFile(pathlib.Path(tempfile.mkdtemp()) / "t.jsonl")
        >>> f.append({"key": "a", "x": 1})
        >>> "a" in f, len(JsonlFile(f.path).rows())
        (True, 1)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = read_records(self.path)
        text = self.path.read_text(encoding="utf-8", errors="replace") if self.path.is_file() else ""
        if sum(1 for line in text.splitlines() if line.strip()) != len(rows) or (text and not text.endswith("\n")):
            write_records(self.path, rows)  # a torn or corrupt line (a crash mid-write): keep the good ones only
        self._keys = {str(r.get("key")) for r in rows}

    def __contains__(self, key: object) -> bool:
        return str(key) in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def rows(self) -> list[dict[str, Any]]:
        """All records, in file order."""
        return read_records(self.path)

    def append(self, row: dict[str, Any]) -> None:
        """Append one record durably."""
        line = json.dumps(row, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._keys.add(str(row.get("key")))


def request_of(record: dict[str, Any]) -> JudgeRequest:
    """The :class:`JudgeRequest` of a record (its privileged reference included, for reference judges)."""
    traj = Trajectory.from_dict(record["trajectory"])
    return JudgeRequest(traj.question, traj, record.get("reference"))
