"""Terminal summaries (rich tables): before/after held-out success side by side, and a one-evaluation table."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["comparison_table", "eval_table", "print_run_summary", "run_directory_listing", "RUN_FILES"]

RUN_FILES = {
    "config.yaml": "the resolved settings (read by --resume and `rrm-gym eval`)",
    "metrics.jsonl": "one line of metrics per iteration",
    "samples.jsonl": "sample episodes with every attempt, critique and score (`rrm-gym judge` reads it)",
    "eval_before.json": "held-out evaluation before training",
    "eval_after.json": "held-out evaluation after training",
    "eval_critique.json": "held-out evaluation with critiques at inference (`rrm-gym eval --feedback critique`)",
    "learning_curve.png": "training and held-out success over env steps",
    "report.html": "the run at a glance: curves, before/after, sample trajectories",
    "judge_cache.sqlite": "cached judgements (reused on --resume)",
    "judge_cache.sqlite-wal": "the judge cache's SQLite journal",
    "judge_cache.sqlite-shm": "the judge cache's SQLite journal index",
    "checkpoints": "the newest complete checkpoints (--resume continues from the last)",
    "tb": "TensorBoard events (tensorboard --logdir RUN_DIR/tb)",
}
"""What each entry of a run directory holds (in the order they are listed)."""


def _pct(value: Any) -> str:
    return f"{100 * float(value):.1f}%" if isinstance(value, (int, float)) else "–"


def _ci(res: Mapping[str, Any] | None) -> str:
    if not res:
        return "–"
    return f"[{_pct(res.get('ci_low'))}, {_pct(res.get('ci_high'))}]"


def _f(value: Any) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    return f"{float(value):.3f}"


def comparison_table(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, title: str = "") -> Any:
    """A rich table with the held-out evaluation before and after training, side by side, with 95% CIs.

    Example:
        >>> t = comparison_table({"success_rate": 0.1, "ci_low": 0.0, "ci_high": 0.3, "episodes": 10},
        ...                      {"success_rate": 0.5, "ci_low": 0.2, "ci_high": 0.8, "episodes": 10})
        >>> t.row_count
        4
    """
    from rich.table import Table

    table = Table(title=title or "Held-out evaluation", title_style="bold")
    table.add_column("")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("change", justify="right")
    b, a = before or {}, after or {}
    change = "–"
    if "success_rate" in b and "success_rate" in a:
        d = 100 * (float(a["success_rate"]) - float(b["success_rate"]))
        change = f"[{'green' if d > 0 else 'red' if d < 0 else 'white'}]{d:+.1f} pts[/]"
    table.add_row("success rate", _pct(b.get("success_rate")), _pct(a.get("success_rate")), change)
    table.add_row("95% CI (Wilson)", _ci(before), _ci(after), "")
    table.add_row("mean env reward", _f(b.get("mean_reward")), _f(a.get("mean_reward")), "")
    table.add_row("episodes", str(b.get("episodes", "–")), str(a.get("episodes", "–")), "")
    return table


def eval_table(result: Mapping[str, Any], title: str = "") -> Any:
    """A short rich table for one evaluation (what ``rrm-gym eval`` prints to stderr)."""
    from rich.table import Table

    table = Table(title=title or f"{result.get('env_id', '')} ({result.get('split', '')})", title_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("success rate", _pct(result.get("success_rate")))
    table.add_row("95% CI (Wilson)", _ci(result))
    table.add_row("mean env reward", _f(result.get("mean_reward")))
    table.add_row("mean steps", _f(result.get("mean_steps")))
    table.add_row("episodes", str(result.get("episodes", "–")))
    table.add_row("tasks", str(len(result.get("per_task") or {})))
    critique = result.get("critique")
    if isinstance(critique, Mapping):
        table.add_section()
        table.add_row("success at attempt 1", _pct(critique.get("success_attempt_1")))
        table.add_row("success after refinement", _pct(critique.get("success_refined")))
        table.add_row("refinement fixed / broke", f"{critique.get('fixed', '–')} / {critique.get('broke', '–')}")
        table.add_row("kept right / kept wrong",
                      f"{critique.get('kept_right', '–')} / {critique.get('kept_wrong', '–')}")
        failures = critique.get("judge_failures")
        if failures is not None:
            judge = f"{critique.get('judge', '?')}: {failures} failed"
            table.add_row("judge", f"[red]{judge}[/]" if failures else judge)
    return table


def print_run_summary(
    console: Any,
    run_dir: str | Path,
    rows: Sequence[Mapping[str, Any]],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    wall_s: float | None = None,
) -> None:
    """Print the end-of-run summary: before/after table, training totals and where the outputs are."""
    from rich.table import Table

    console.print(comparison_table(before, after))
    last: dict[str, Any] = {}
    for row in rows:  # the latest value of each metric (an iteration may finish no episode)
        last.update({k: v for k, v in row.items() if v is not None})
    train = Table(title="Training", title_style="bold", show_header=False)
    train.add_column("")
    train.add_column("", justify="right")
    train.add_row("iterations", str(last.get("iteration", 0)))
    train.add_row("env steps", str(last.get("env_steps", 0)))
    shaped = f"{_f(last.get('reward_env_mean'))} / {_f(last.get('reward_shaped_mean'))}"
    train.add_row("latest env reward / shaped", shaped)
    from rrm_gym.agents.run.judge_watch import judge_text

    score = judge_text(last.get("judge_score_mean"), last.get("judge_failures_total"), last.get("judge_calls_total"))
    train.add_row("latest judge score", f"[red]{score}[/]" if "failed" in score else score)
    train.add_row("latest train success", _pct(last.get("success_rate")))
    train.add_row("judge calls / cache hits / failures",
                  f"{last.get('judge_calls_total', '–')} / {last.get('judge_cache_hits_total', '–')} / "
                  f"{last.get('judge_failures_total', '–')}")
    if wall_s is not None:
        train.add_row("wall time", f"{wall_s:.0f} s")
    console.print(train)
    console.print(f"[bold]Run directory:[/] {run_dir}")
    listing = Table.grid(padding=(0, 2))
    listing.add_column(no_wrap=True)
    listing.add_column(style="dim")
    for name, what in run_directory_listing(run_dir):
        listing.add_row(f"  {name}", what)
    console.print(listing)


def run_directory_listing(run_dir: str | Path) -> list[tuple[str, str]]:
    """``(name, what it holds)`` for every entry of ``run_dir``, the known ones first (folders end in ``/``).

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "config.yaml").write_text("")
        >>> _ = (d / "notes.txt").write_text("")
        >>> run_directory_listing(d)
        [('config.yaml', 'the resolved settings (read by --resume and `rrm-gym eval`)'), ('notes.txt', '')]
    """
    run = Path(run_dir)
    if not run.is_dir():
        return []
    names = sorted(p.name for p in run.iterdir() if not p.name.endswith(".tmp"))
    ordered = [n for n in RUN_FILES if n in names] + [n for n in names if n not in RUN_FILES]
    return [(name + ("/" if (run / name).is_dir() else ""), RUN_FILES.get(name, "")) for name in ordered]
