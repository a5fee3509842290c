"""Candidate actions: the one mechanism that tells a choosing learner what it may pick from.

Every ``rrm/*`` env puts ``info["candidate_actions"]`` in each reset and step info: the concrete tool actions of
``info["valid_actions"]`` followed by candidate final answers where the env can offer them (e.g. one per fact on a
WebWalker page). A foreign env offers its own the same way — ``info["candidate_actions"]``, or just
``info["valid_actions"]`` — and :func:`candidate_actions` reads whichever is there. The LLM policy's ``choose``
mode and :class:`~rrm_gym.wrappers.DiscreteActionWrapper` both read candidates through this function.

A candidate may be a **template**: text with the slot mark :data:`WRITE` (``"…"``) in it, e.g. ``"\\boxed{…}"``
or ``"python: …"``. Choosing a template means "write this part yourself": the policy picks the template, then
generates the text of the slot (up to the template's suffix), and :func:`fill_template` builds the action. Envs
whose answers are free text (Math, open questions) offer such a template next to their concrete actions.

Example:
    >>> candidate_actions({"valid_actions": ["click: A"], "candidate_actions": ["click: A", "\\\\boxed{1}"]})
    ['click: A', '\\\\boxed{1}']
    >>> split_template("\\\\boxed{…}")
    ('\\\\boxed{', '}')
    >>> fill_template("\\\\boxed{…}", "42")
    '\\\\boxed{42}'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["WRITE", "ANSWER_TEMPLATE", "candidate_actions", "merge_candidates", "split_template", "fill_template",
           "is_template"]

WRITE = "\u2026"
"""The slot mark of a template candidate (a horizontal ellipsis)."""

ANSWER_TEMPLATE = "\\boxed{" + WRITE + "}"
"""The template for a free-text final answer."""


def merge_candidates(*groups: Iterable[Any]) -> list[str]:
    """Concatenate candidate lists, keeping the first occurrence of each string and dropping non-strings."""
    out: dict[str, None] = {}
    for group in groups:
        for item in group or ():
            if isinstance(item, str) and item:
                out.setdefault(item, None)
    return list(out)


def candidate_actions(info: Mapping[str, Any] | None) -> list[str] | None:
    """The candidates an env offers in ``info``: ``candidate_actions``, else ``valid_actions``; ``None`` if neither.

    An empty list means "nothing to choose now" (e.g. the episode is over); ``None`` means the env does not offer
    candidates at all (a learner then has to generate free text).
    """
    if not isinstance(info, Mapping):
        return None
    for key in ("candidate_actions", "valid_actions"):
        value = info.get(key)
        if value is not None:
            try:
                return merge_candidates(list(value))
            except TypeError:
                return None
    return None


def is_template(candidate: str) -> bool:
    """Whether ``candidate`` has a slot to write (:data:`WRITE`)."""
    return WRITE in candidate


def split_template(candidate: str) -> tuple[str, str] | None:
    """``(prefix, suffix)`` around the first slot mark, or ``None`` for a concrete candidate."""
    if WRITE not in candidate:
        return None
    prefix, _, suffix = candidate.partition(WRITE)
    return prefix, suffix


def fill_template(candidate: str, text: str) -> str:
    """The action a template becomes once its slot holds ``text`` (a concrete candidate is returned as it is)."""
    parts = split_template(candidate)
    if parts is None:
        return candidate
    prefix, suffix = parts
    body = text.strip()
    if suffix and body.endswith(suffix.strip()):
        body = body[: len(body) - len(suffix.strip())].rstrip()
    return prefix + body + suffix
