"""What ``rrm-gym play`` shows after a step: observations and critiques as plain text, and how an attempt ended."""

from __future__ import annotations

from typing import Any

from rich.panel import Panel
from rich.text import Text

__all__ = ["observation_panel", "judge_panel", "attempt_verdict"]


def observation_panel(observation: str, title: str) -> Panel:
    """The observation as text (brackets such as ``[Button: ...]`` are shown, never read as markup)."""
    return Panel(Text(str(observation)), title=title)


def judge_panel(rrm: dict[str, Any]) -> Panel:
    """The judgement: the critique as text on its own lines, the score and any failure in the title.

    Example:
        >>> judge_panel({"score": 0.4, "ok": True, "critique": "- Open the page.\\n- Answer."}).title
        'judge · score 0.40'
    """
    score = rrm.get("score")
    title = "judge · " + (f"score {float(score):.2f}" if isinstance(score, (int, float)) else "no score")
    if not rrm.get("ok", True):
        title += f" · failed: {rrm.get('error') or 'unknown error'}"
    critique = str(rrm.get("critique") or "").strip() or "(no critique)"
    return Panel(Text(critique), title=title, border_style="magenta")


def attempt_verdict(info: dict[str, Any], done: bool, refine: str) -> str | None:
    """``attempt 1 was correct …`` when an attempt just ended (a refinement began, or the episode is over).

    Example:
        >>> attempt_verdict({"attempt": 2, "previous": {"is_success": True}}, False, "always")
        'attempt 1 was correct; refining it anyway (--refine always, the Reagent-U training setting)'
    """
    if "previous" in info and not done:
        number = int(info.get("attempt", 2)) - 1
        if (info.get("previous") or {}).get("is_success"):
            tail = "; refining it anyway (--refine always, the Reagent-U training setting)"
            tail = tail if refine == "always" else ""
            return f"attempt {number} was correct{tail}"
        return f"attempt {number} was not correct; try again with the critique"
    if done and "is_success" in info:
        return f"attempt {info.get('attempt', 1)} was {'correct' if info['is_success'] else 'not correct'}"
    return None
