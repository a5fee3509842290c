"""The evaluation progress bar, with an ETA from the average time per finished episode since the start.

Rich's own ``TimeRemainingColumn`` estimates the speed over the last 30 seconds. Evaluation finishes episodes in
bursts (envs are stepped in lock-step batches, so a batch of episodes often ends on the same step), and a burst
inside the window reads as a huge speed: the ETA it showed was off by minutes. :class:`AverageETAColumn` divides the
time elapsed since the bar started by the episodes finished so far, which a burst cannot fool.
"""

from __future__ import annotations

from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

__all__ = ["AverageETAColumn", "EvalProgress", "average_eta"]


def average_eta(elapsed: float | None, completed: float, total: float | None) -> float | None:
    """Seconds left at the average pace so far, or ``None`` before the first item finished.

    Example:
        >>> average_eta(60.0, 8, 16), average_eta(5.0, 0, 16)
        (60.0, None)
    """
    if elapsed is None or total is None or completed <= 0:
        return None
    return max(0.0, elapsed / completed * (total - completed))


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class AverageETAColumn(ProgressColumn):
    """``ETA 0:01:30`` from the average time per finished item (``ETA –`` before the first one)."""

    def render(self, task: Any) -> Text:
        """The column's text for ``task``."""
        if task.finished:
            return Text("")
        left = average_eta(task.elapsed, task.completed, task.total)
        return Text("ETA –" if left is None else f"ETA {_clock(left)}", style="progress.remaining")


class EvalProgress:
    """A started progress bar over ``total`` episodes: ``advance()`` after each, ``stop()`` at the end."""

    def __init__(self, description: str, total: int, **progress_kwargs: Any) -> None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   AverageETAColumn())
        self.progress = Progress(*columns, **progress_kwargs)
        self.progress.start()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, n: int = 1) -> None:
        """Count ``n`` finished episodes."""
        self.progress.update(self.task, advance=n)

    def stop(self) -> None:
        """Stop refreshing (the bar stays on screen)."""
        self.progress.stop()
