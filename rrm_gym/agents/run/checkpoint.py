"""Atomic, rotating checkpoints in ``RUN_DIR/checkpoints/``.

A checkpoint is a folder ``iter-000012/`` holding whatever the learner writes (weights, optimizer state) plus
``checkpoint.json`` (iteration, env steps, runner state), written last. It is first written to a hidden temporary
folder next to it, fsynced, then renamed into place in one ``os.rename``: a run killed at any moment (even
``kill -9``) leaves either the complete folder or none, never a half one. Leftover temporary folders are ignored
and cleaned up by the next save. Only the last ``keep`` checkpoints are kept.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rrm_gym._fsutil import fsync_dir

__all__ = ["Checkpoint", "save_checkpoint", "list_checkpoints", "latest_checkpoint", "CHECKPOINT_DIR", "META_FILE"]

CHECKPOINT_DIR = "checkpoints"
META_FILE = "checkpoint.json"
_NAME_RE = re.compile(r"^iter-(\d{6,})$")


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint on disk.

    Attributes:
        path: The checkpoint folder.
        iteration: Iterations completed when it was written.
        meta: The contents of ``checkpoint.json``.
    """

    path: Path
    iteration: int
    meta: dict[str, Any]


def _fsync_tree(folder: Path) -> None:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with open(Path(root) / name, "rb") as fh:
                os.fsync(fh.fileno())
        fsync_dir(Path(root))


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    iteration: int,
    write: Callable[[Path], None],
    meta: dict[str, Any] | None = None,
    keep: int = 2,
) -> Checkpoint:
    """Write checkpoint ``iteration`` atomically and delete all but the newest ``keep``.

    Args:
        run_dir: The run directory.
        iteration: Iterations completed (names the folder ``iter-{iteration:06d}``).
        write: Writes the learner's files into the (temporary) folder it is given.
        meta: JSON-serialisable extras stored in ``checkpoint.json`` (env steps, runner state).
        keep: How many checkpoints to keep (>= 1).

    Returns:
        The new :class:`Checkpoint`.

    Example:
        >>> import tempfile
        >>> run = tempfile.mkdtemp()
        >>> ck = save_checkpoint(run, 3, lambda d: (d / "w.txt").write_text("w"), {"env_steps": 96})
        >>> latest_checkpoint(run).meta["env_steps"], (ck.path / "w.txt").read_text()
        (96, 'w')
    """
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    if not isinstance(iteration, int) or iteration < 0:
        raise ValueError(f"iteration must be an int >= 0, got {iteration!r}")
    root = Path(run_dir) / CHECKPOINT_DIR
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(root)
    final = root / f"iter-{iteration:06d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=root))
    try:
        write(tmp)
        info = {"iteration": iteration, **(meta or {})}
        (tmp / META_FILE).write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        _fsync_tree(tmp)
        if final.exists():  # re-saving the same iteration (e.g. a resumed run's first save)
            old = root / f".old-{final.name}-{os.getpid()}"
            os.rename(final, old)
            os.rename(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, final)
        fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in list_checkpoints(run_dir)[:-keep]:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(final, iteration, info)


def _remove_stale_tmp(root: Path) -> None:
    for child in root.iterdir():
        if child.name.startswith((".tmp-", ".old-")) and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def list_checkpoints(run_dir: str | os.PathLike[str]) -> list[Checkpoint]:
    """All complete checkpoints of a run, oldest first (folders without a readable ``checkpoint.json`` skipped)."""
    root = Path(run_dir) / CHECKPOINT_DIR
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _NAME_RE.match(child.name)
        if not match or not child.is_dir():
            continue
        try:
            meta = json.loads((child / META_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(meta, dict):
            found.append(Checkpoint(child, int(match.group(1)), meta))
    return sorted(found, key=lambda c: c.iteration)


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Checkpoint | None:
    """The newest complete checkpoint of a run, or ``None``."""
    found = list_checkpoints(run_dir)
    return found[-1] if found else None
