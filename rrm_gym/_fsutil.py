"""Small durable-file helpers shared by every layer (checkpoints, metric logs): no rrm_gym imports here."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_dir"]


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where folders cannot be opened.

    Example:
        >>> import tempfile
        >>> fsync_dir(tempfile.gettempdir())
    """
    try:
        fd = os.open(Path(folder), os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
