"""How to run ``rrm-gym`` again from the user's shell, for the hints commands print (resume, evaluate, ...).

After the README's setup the ``rrm-gym`` script lives in ``.venv/bin`` and is not on ``PATH`` unless the
virtualenv is activated, so a hint that says ``rrm-gym train --resume ...`` may not work as typed.
:func:`command_prefix` returns what does: ``rrm-gym`` when that name on ``PATH`` is the script that is running,
else the running script's path (``.venv/bin/rrm-gym``), else ``<python> -m rrm_gym``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

__all__ = ["command_prefix"]


def _short(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it, else absolute; shell-quoted."""
    absolute = path.absolute()
    try:
        text = str(absolute.relative_to(Path.cwd()))
    except ValueError:
        text = str(absolute)
    return shlex.quote(text)


def _same(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def command_prefix() -> str:
    """The command that runs ``rrm-gym`` from the current shell.

    Example:
        >>> command_prefix().endswith(("rrm-gym", "-m rrm_gym"))
        True
    """
    on_path = shutil.which("rrm-gym")
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name in ("rrm-gym", "rrm-gym.exe") and script.exists():
        return "rrm-gym" if on_path and _same(on_path, script) else _short(script)
    if on_path and _same(Path(on_path).parent, Path(sys.executable).parent):
        return "rrm-gym"
    return f"{_short(Path(sys.executable))} -m rrm_gym"
