"""The identity of a local model folder's weights, for judge cache keys (new weights at the same path never hit).

:func:`weights_identity` lists every weight file (``*.safetensors``, ``*.bin``, ``*.pt``, ``*.pth``, ``*.gguf``,
``*.ckpt``, ``*.h5``, ``*.msgpack``) and the files that change what the weights compute (``config.json``,
``generation_config.json``) with its size and modification time in nanoseconds. Stat calls only: it never reads the
weights, so calling it per request is cheap. A hub id that is not a local folder identifies itself by name only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["weights_identity", "WEIGHT_SUFFIXES", "CONFIG_FILES"]

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt", ".h5", ".msgpack")
CONFIG_FILES = ("config.json", "generation_config.json")
_MAX_FILES = 512


def weights_identity(model_path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"path": ..., "files": [[relative name, size, mtime_ns], ...]}`` for a model folder or file.

    Args:
        model_path: A model folder, a single weight file (e.g. a ``.gguf``), or a hub id.

    Returns:
        The identity; a path that does not exist gives ``{"path": ..., "files": None}``.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "model.safetensors").write_bytes(b"1234")
        >>> [name for name, size, _ in weights_identity(folder)["files"]], weights_identity(folder)["files"][0][1]
        (['model.safetensors'], 4)
    """
    path = Path(model_path)
    if path.is_file():
        stat = path.stat()
        return {"path": str(path), "files": [[path.name, stat.st_size, stat.st_mtime_ns]]}
    if not path.is_dir():
        return {"path": str(model_path), "files": None}
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.endswith(WEIGHT_SUFFIXES) or name in CONFIG_FILES:
                full = Path(root) / name
                try:
                    stat = full.stat()
                except OSError:  # a file removed while we walk: its absence is part of the identity
                    continue
                files.append([full.relative_to(path).as_posix(), stat.st_size, stat.st_mtime_ns])
                if len(files) >= _MAX_FILES:
                    return {"path": str(path), "files": files}
    return {"path": str(path), "files": files}
