"""Crash-safe run metrics: an append-only ``metrics.jsonl`` plus TensorBoard events.

Every :meth:`MetricsLogger.log` call appends one JSON line and flushes + fsyncs it, so a run killed at any moment
(even ``kill -9``) leaves a file whose complete lines are all valid; a torn last line is ignored by
:func:`read_jsonl`. On resume, :meth:`MetricsLogger.truncate_after` drops the lines of iterations that the restored
checkpoint does not contain, so the file never holds duplicate or orphan iterations.

TensorBoard (``torch.utils.tensorboard``) is imported lazily on the first scalar written, and only if available.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rrm_gym._fsutil import fsync_dir

__all__ = ["MetricsLogger", "JsonlLog", "read_jsonl", "truncate_jsonl", "json_safe"]


def json_safe(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become ``None``; numpy scalars become Python numbers.

    Example:
        >>> json_safe({"a": float("nan"), "b": [1.5]})
        {'a': None, 'b': [1.5]}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            return json_safe(item())
        except (TypeError, ValueError):
            return str(value)
    return value


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read the complete JSON objects of a JSONL file; a torn or corrupt line (crash mid-write) is skipped.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.jsonl"
        >>> _ = p.write_text('{"iteration": 1}\\n{"iterat')
        >>> read_jsonl(p)
        [{'iteration': 1}]
    """
    p = Path(path)
    if not p.is_file():
        return []
    rows = []
    with p.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict):
                rows.append(row)
    return rows


def truncate_jsonl(path: str | os.PathLike[str], last_iteration: int, key: str = "iteration") -> int:
    """Keep only rows with ``row[key] <= last_iteration`` (and drop torn lines); atomic (tmp file + rename).

    Returns:
        The number of rows dropped.
    """
    p = Path(path)
    if not p.exists():
        return 0
    rows = read_jsonl(p)
    kept = [r for r in rows if isinstance(r.get(key), int) and r[key] <= last_iteration]
    tmp = p.with_name(p.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in kept:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, p)
    fsync_dir(p.parent)
    return len(rows) - len(kept)


class JsonlLog:
    """An append-only JSONL file where every row is flushed and fsynced before :meth:`append` returns.

    Args:
        path: The file (created with its parent folders).

    Example:
        >>> import tempfile, pathlib
        >>> log = JsonlLog(pathlib.Path(tempfile.mkdtemp()) / "samples.jsonl")
        >>> log.append({"iteration": 1, "x": 2.0})
        >>> log.rows()
        [{'iteration': 1, 'x': 2.0}]
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row durably."""
        line = json.dumps(json_safe(dict(row)), ensure_ascii=False, allow_nan=False)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def rows(self) -> list[dict[str, Any]]:
        """All complete rows."""
        return read_jsonl(self.path)

    def truncate_after(self, iteration: int) -> int:
        """Drop rows of iterations after ``iteration``; returns how many were dropped."""
        return truncate_jsonl(self.path, iteration)


class MetricsLogger:
    """Per-iteration metrics to ``RUN_DIR/metrics.jsonl`` (durable) and TensorBoard (``RUN_DIR/tb``).

    Args:
        run_dir: The run directory.
        tensorboard: Also write TensorBoard events (skipped silently if ``torch``/``tensorboard`` are missing).
        purge_step: On resume, TensorBoard events with a step at or after this are discarded (first resumed
            iteration).

    Example:
        >>> import tempfile
        >>> logger = MetricsLogger(tempfile.mkdtemp(), tensorboard=False)
        >>> logger.log(1, {"reward_env_mean": 0.5, "success_rate": 0.25})
        >>> logger.rows()[0]["success_rate"]
        0.25
        >>> logger.close()
    """

    FILE = "metrics.jsonl"

    def __init__(self, run_dir: str | os.PathLike[str], tensorboard: bool = True, purge_step: int | None = None):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = JsonlLog(self.run_dir / self.FILE)
        self._tensorboard = tensorboard
        self._purge_step = purge_step
        self._writer: Any = None
        self._tb_failed = False

    @property
    def path(self) -> Path:
        """Path of ``metrics.jsonl``."""
        return self._log.path

    def log(self, iteration: int, metrics: Mapping[str, Any]) -> None:
        """Append the metrics of one iteration (``iteration`` is stored as the ``"iteration"`` key)."""
        if not isinstance(iteration, int) or iteration < 0:
            raise ValueError(f"iteration must be an int >= 0, got {iteration!r}")
        row = {"iteration": iteration, **{k: v for k, v in metrics.items() if k != "iteration"}}
        self._log.append(row)
        self._write_scalars(iteration, row)

    def rows(self) -> list[dict[str, Any]]:
        """All logged rows, in file order."""
        return self._log.rows()

    def last_iteration(self) -> int:
        """The highest iteration logged (0 when none)."""
        return max((r["iteration"] for r in self.rows() if isinstance(r.get("iteration"), int)), default=0)

    def truncate_after(self, iteration: int) -> int:
        """Drop the rows of iterations after ``iteration`` (resume from a checkpoint); returns how many."""
        return self._log.truncate_after(iteration)

    def close(self) -> None:
        """Flush and close the TensorBoard writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write_scalars(self, step: int, row: Mapping[str, Any]) -> None:
        writer = self._tb_writer()
        if writer is None:
            return
        for key, value in _flatten(row):
            if key == "iteration" or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if isinstance(value, float) and not math.isfinite(value):
                continue
            writer.add_scalar(key, value, global_step=step)
        writer.flush()

    def _tb_writer(self) -> Any:
        if not self._tensorboard or self._tb_failed:
            return None
        if self._writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                self._tb_failed = True
                return None
            self._writer = SummaryWriter(log_dir=str(self.run_dir / "tb"), purge_step=self._purge_step)
        return self._writer

    def __enter__(self) -> MetricsLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _flatten(row: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, prefix=f"{name}/")
        else:
            yield name, value
