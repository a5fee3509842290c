"""Third-party deprecation warnings that users cannot act on, silenced narrowly where our code triggers them.

peft and trl read ``model.is_gradient_checkpointing`` and trl's configs set ``gradient_checkpointing``, which
transformers has deprecated with a ``FutureWarning`` (``is_activation_checkpointing`` / ``activation_checkpointing``
are the new names); every LLM run printed them, and only a peft / trl release can fix
it. :func:`quiet_third_party_deprecations` hides exactly that warning around the calls that trigger it; no filter
is installed globally, so every other warning still shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_third_party_deprecations", "SILENCED"]

SILENCED = (r".*`?is_gradient_checkpointing`? is deprecated", r".*`?gradient_checkpointing`? is deprecated")
"""Message patterns of the ``FutureWarning`` s silenced (regular expressions, matched at the start)."""


@contextmanager
def quiet_third_party_deprecations() -> Iterator[None]:
    """Run the block with the :data:`SILENCED` third-party ``FutureWarning`` s ignored.

    Example:
        >>> with quiet_third_party_deprecations():
        ...     warnings.warn("`is_gradient_checkpointing` is deprecated", FutureWarning)
    """
    with warnings.catch_warnings():
        for pattern in SILENCED:
            warnings.filterwarnings("ignore", message=pattern, category=FutureWarning)
        yield
