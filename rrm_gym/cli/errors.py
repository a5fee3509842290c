"""How a command reports bad input: one ``Error:`` line on stderr and exit status 2 (no usage banner, no traceback)."""

from __future__ import annotations

import click

__all__ = ["InputError"]


class InputError(click.ClickException):
    """Bad input from the user (a setting, a path, a file's contents): printed as ``Error: ...``, exit status 2.

    Example:
        >>> InputError("unknown env 'rrm/X-v0'").exit_code
        2
    """

    exit_code = 2
