"""``rrm-gym compare``: a grid of ordinary training runs (feedback modes × seeds) and what they say together.

Every cell is a run directory ``OUT/<feedback>-seed<k>`` written by :func:`~rrm_gym.agents.run.runner.run_training`
(so ``rrm-gym eval`` and the report work on it). Cells run one after another; a cell with ``eval_after.json`` is
finished and skipped, a cell with only ``config.yaml`` is resumed from its last checkpoint, so rerunning the same
command continues an interrupted grid.

What is compared (:func:`cell_row`, :func:`summarise`):

* held-out success before and after training (the runs' own evaluations, first attempt, no feedback);
* the learning curve: **first-attempt** training success per iteration against env steps (comparable across
  modes: under C/U a refinement can rescue an episode, which would flatter them), smoothed over ``window``
  iterations; its area (mean over the normalised step axis);
* env steps and wall time until the smoothed curve first reaches ``target`` (default: what ``none`` — outcome
  reward only — reaches at the end of training, averaged over seeds), and their ratio to ``none``;
* judge calls.

Torch-free: it only reads run directories (and calls the runner to make them).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["cell_dir", "cell_state", "cell_row", "curve", "summarise", "default_target", "run_grid", "GridCell",
           "mean_ci", "write_outputs"]

WINDOW = 3


@dataclass(frozen=True)
class GridCell:
    """One cell of the grid: a feedback mode, a seed and its run directory."""

    feedback: str
    seed: int
    path: Path


def cell_dir(out: str | Path, feedback: str, seed: int) -> Path:
    """Run directory of a cell."""
    return Path(out) / f"{feedback}-seed{seed}"


def cell_state(path: Path) -> str:
    """``"done"`` (evaluated after training), ``"partial"`` (started) or ``"new"``."""
    if (path / "eval_after.json").is_file():
        return "done"
    return "partial" if (path / "config.yaml").is_file() else "new"


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def curve(rows: Sequence[Mapping[str, Any]], window: int = WINDOW) -> tuple[list[float], list[float], list[float]]:
    """(env steps, wall seconds, smoothed first-attempt success) per iteration of a run's ``metrics.jsonl``.

    Example:
        >>> curve([{"env_steps": 10, "time_s": 1, "first_attempt_success_rate": 0.0},
        ...        {"env_steps": 20, "time_s": 2, "first_attempt_success_rate": 1.0}], window=2)
        ([10.0, 20.0], [1.0, 2.0], [0.0, 0.5])
    """
    steps, times, raw = [], [], []
    for row in rows:
        value = row.get("first_attempt_success_rate", row.get("success_rate"))
        if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
            continue
        steps.append(float(row.get("env_steps", len(steps) + 1)))
        times.append(float(row.get("time_s", math.nan)))
        raw.append(float(value))
    smooth = [sum(raw[max(0, i - window + 1): i + 1]) / len(raw[max(0, i - window + 1): i + 1])
              for i in range(len(raw))]
    return steps, times, smooth


def _first_reach(xs: Sequence[float], ys: Sequence[float], target: float | None) -> float:
    if target is None:
        return math.nan
    return next((x for x, y in zip(xs, ys, strict=True) if y >= target), math.nan)


def _auc(steps: Sequence[float], ys: Sequence[float]) -> float:
    if not ys:
        return math.nan
    if len(ys) == 1 or steps[-1] <= steps[0]:
        return float(ys[0])
    area = sum((steps[i] - steps[i - 1]) * (ys[i] + ys[i - 1]) / 2 for i in range(1, len(ys)))
    return area / (steps[-1] - steps[0])


def cell_row(cell: GridCell, target: float | None = None) -> dict[str, Any]:
    """The ``compare.csv`` row of a cell (NaN where the run has no such figure)."""
    from rrm_gym.report.metrics import read_jsonl

    before = _read(cell.path / "eval_before.json") or {}
    after = _read(cell.path / "eval_after.json") or {}
    rows = read_jsonl(cell.path / "metrics.jsonl") if (cell.path / "metrics.jsonl").is_file() else []
    steps, times, smooth = curve(rows)
    judge_calls = max((float(r.get("judge_calls_total", 0) or 0) for r in rows), default=0.0)
    return {
        "feedback": cell.feedback, "seed": cell.seed, "run_dir": str(cell.path),
        "success_before": float(before.get("success_rate", math.nan)),
        "success_after": float(after.get("success_rate", math.nan)),
        "eval_episodes": after.get("episodes"),
        "final_train_success": smooth[-1] if smooth else math.nan,
        "auc": _auc(steps, smooth),
        "env_steps": steps[-1] if steps else math.nan,
        "target": target if target is not None else math.nan,
        "steps_to_target": _first_reach(steps, smooth, target),
        "time_to_target_s": _first_reach(times, smooth, target) if target is not None and times else math.nan,
        "wall_s": times[-1] if times else math.nan,
        "judge_calls": judge_calls,
    }


def default_target(cells: Sequence[GridCell]) -> float | None:
    """What outcome-only training (``none``) reaches at the end, averaged over its seeds; ``None`` without it."""
    finals = [cell_row(c)["final_train_success"] for c in cells if c.feedback == "none"]
    finals = [f for f in finals if not math.isnan(f)]
    return sum(finals) / len(finals) if finals else None


_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of its 95% confidence interval (Student t over seeds; NaN for fewer than 2).

    Example:
        >>> [round(x, 4) for x in mean_ci([0.2, 0.4])]
        [0.3, 1.2706]
    """
    vals = [float(v) for v in values if isinstance(v, (int, float)) and not math.isnan(v)]
    if not vals:
        return math.nan, math.nan
    mean = sum(vals) / len(vals)
    if len(vals) < 2:
        return mean, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
    return mean, _T95.get(len(vals) - 1, 1.96) * sd / math.sqrt(len(vals))


def summarise(rows: Sequence[Mapping[str, Any]], modes: Sequence[str]) -> list[dict[str, Any]]:
    """Per mode: mean ± 95% CI of success after, gain over ``none``, AUC, and steps-to-target relative to ``none``."""
    by_mode = {m: [r for r in rows if r["feedback"] == m] for m in modes}
    base = by_mode.get("none") or []
    base_after = mean_ci([r["success_after"] for r in base])[0]
    base_steps = mean_ci([r["steps_to_target"] for r in base])[0]
    out = []
    for mode in modes:
        cells = by_mode[mode]
        after, after_ci = mean_ci([r["success_after"] for r in cells])
        before, _ = mean_ci([r["success_before"] for r in cells])
        auc, auc_ci = mean_ci([r["auc"] for r in cells])
        steps = [r["steps_to_target"] for r in cells]
        reached = [s for s in steps if not math.isnan(s)]
        mean_steps = mean_ci(reached)[0]
        out.append({
            "feedback": mode, "seeds": len(cells), "success_before": before, "success_after": after,
            "success_after_ci": after_ci, "gain_over_none": after - base_after if base else math.nan,
            "auc": auc, "auc_ci": auc_ci, "reached_target": f"{len(reached)}/{len(cells)}",
            "steps_to_target": mean_steps,
            "steps_vs_none": mean_steps / base_steps if base and base_steps and not math.isnan(base_steps)
            else math.nan,
            "judge_calls": mean_ci([r["judge_calls"] for r in cells])[0],
        })
    return out


def run_grid(overrides: Mapping[str, Any], feedbacks: Sequence[str], seeds: Sequence[int], out: str | Path, *,
             console: Any = None, progress: bool = True, config_file: Mapping[str, Any] | None = None
             ) -> list[GridCell]:
    """Run (or skip, or resume) every cell of the grid, one after another, with a progress bar over the grid."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from rrm_gym.agents.run.config import TrainConfig
    from rrm_gym.agents.run.runner import load_run_config, run_training

    console = console or Console()
    cells = [GridCell(f, s, cell_dir(out, f, s)) for f in feedbacks for s in seeds]
    Path(out).mkdir(parents=True, exist_ok=True)
    columns = [TextColumn("[bold]compare[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("cells"),
               TimeElapsedColumn(), TextColumn("{task.fields[cell]}")]
    with Progress(*columns, console=console, disable=not progress) as bar:
        task = bar.add_task("grid", total=len(cells), cell="")
        for cell in cells:
            state = cell_state(cell.path)
            bar.update(task, cell=f"{cell.feedback} seed {cell.seed} ({state})")
            if state != "done":
                values = {**dict(overrides), "feedback": cell.feedback, "seed": cell.seed, "out": str(cell.path),
                          "progress": False}
                if state == "partial":
                    run_training(load_run_config(cell.path, {"progress": False}), resume=cell.path, console=console)
                else:
                    run_training(TrainConfig.from_sources(dict(config_file or {}), values), console=console)
            bar.advance(task)
    return cells


def write_outputs(cells: Sequence[GridCell], out: str | Path, *, title: str, command: str = "",
                  target: float | None = None) -> list[dict[str, Any]]:
    """Write ``compare.csv``, ``compare.md``, ``compare.png`` and ``compare.html`` into ``out``; return the summary."""
    from rrm_gym.report.compare import compare_markdown, plot_compare, write_compare_csv, write_compare_html
    from rrm_gym.report.metrics import read_jsonl

    out = Path(out)
    target = default_target(cells) if target is None else target
    rows = [cell_row(c, target) for c in cells]
    modes = list(dict.fromkeys(c.feedback for c in cells))
    summary = summarise(rows, modes)
    curves: dict[str, list[tuple[list[float], list[float]]]] = {m: [] for m in modes}
    for cell in cells:
        metrics = cell.path / "metrics.jsonl"
        if metrics.is_file():
            steps, _times, smooth = curve(read_jsonl(metrics))
            curves[cell.feedback].append((steps, smooth))
    write_compare_csv(rows, out / "compare.csv")
    (out / "compare.md").write_text(compare_markdown(summary, title=title, target=target, command=command),
                                    encoding="utf-8")
    png = plot_compare(curves, out / "compare.png", title=title, target=target)
    write_compare_html(out / "compare.html", rows, summary, png, title=title, target=target, command=command)
    return summary
