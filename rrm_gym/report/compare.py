"""What ``rrm-gym compare`` writes: ``compare.csv``, ``compare.md``, ``compare.png`` and ``compare.html``.

The inputs are plain rows (one per cell) and per-mode summaries (see :mod:`rrm_gym.agents.run.compare`) plus the
learning curves, so this module reads no run directories itself. matplotlib is imported lazily (Agg backend).
"""

from __future__ import annotations

import base64
import csv
import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rrm_gym.report._style import CSS

__all__ = ["write_compare_csv", "compare_markdown", "plot_compare", "write_compare_html", "CSV_FIELDS"]

CSV_FIELDS = ("feedback", "seed", "success_before", "success_after", "eval_episodes", "final_train_success", "auc",
              "env_steps", "target", "steps_to_target", "time_to_target_s", "wall_s", "judge_calls", "run_dir")
_COLORS = {"none": "tab:gray", "critique": "tab:orange", "reward": "tab:blue", "unified": "tab:green"}


def _num(value: Any, pct: bool = False, digits: int = 3) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        return "–"
    return f"{100 * value:.1f}%" if pct else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def write_compare_csv(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """One row per cell, :data:`CSV_FIELDS` columns (empty where a figure is missing)."""
    out = Path(path)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_FIELDS))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if isinstance(row.get(k), float) and math.isnan(row[k]) else row.get(k, ""))
                             for k in CSV_FIELDS})
    return out


def compare_markdown(summary: Sequence[Mapping[str, Any]], *, title: str, target: float | None,
                     command: str = "") -> str:
    """The ``compare.md`` table: per mode, mean ± 95% CI over seeds and the comparisons with ``none``.

    Example:
        >>> md = compare_markdown([{"feedback": "none", "seeds": 2, "success_before": 0.1, "success_after": 0.3,
        ...     "success_after_ci": 0.05, "gain_over_none": 0.0, "auc": 0.2, "auc_ci": 0.01, "reached_target": "2/2",
        ...     "steps_to_target": 100.0, "steps_vs_none": 1.0, "judge_calls": 0.0}], title="t", target=0.3)
        >>> "| none | 2 |" in md
        True
    """
    lines = [f"# {title}", ""]
    if command:
        lines += ["```", command, "```", ""]
    lines += [f"Target for steps-to-target: first-attempt training success {_num(target, True)} "
              "(smoothed over 3 iterations; by default what `none` reaches at the end).", "",
              "| mode | seeds | held-out before | held-out after (mean ± 95% CI) | gain over none | "
              "learning-curve AUC | reached target | env steps to target | vs none | judge calls |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        ci = s["success_after_ci"]
        after = _num(s["success_after"], True) + (f" ± {100 * ci:.1f}" if not math.isnan(ci) else "")
        gain = "–" if math.isnan(s["gain_over_none"]) else f"{100 * s['gain_over_none']:+.1f} pts"
        ratio = "–" if math.isnan(s["steps_vs_none"]) else f"{s['steps_vs_none']:.2f}×"
        lines.append(f"| {s['feedback']} | {s['seeds']} | {_num(s['success_before'], True)} | {after} | {gain} | "
                     f"{_num(s['auc'])} | {s['reached_target']} | {_num(s['steps_to_target'], digits=0)} | {ratio} | "
                     f"{_num(s['judge_calls'], digits=0)} |")
    return "\n".join(lines) + "\n"


def plot_compare(curves: Mapping[str, Sequence[tuple[Sequence[float], Sequence[float]]]], path: str | os.PathLike[str],
                 *, title: str = "", target: float | None = None, points: int = 40) -> Path:
    """Learning curves per mode: the mean over seeds with a min–max band, on a common env-step grid."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(path)
    fig, ax = plt.subplots(figsize=(8, 4.5), constrained_layout=True)
    for mode, runs in curves.items():
        runs = [(list(x), list(y)) for x, y in runs if len(x) > 0]
        if not runs:
            continue
        hi = min(max(x) for x, _ in runs)
        lo = max(min(x) for x, _ in runs)
        grid = np.linspace(lo, hi, points) if hi > lo else np.array([lo])
        ys = np.array([np.interp(grid, x, y) for x, y in runs])
        color = _COLORS.get(mode)
        ax.plot(grid, ys.mean(0), label=f"{mode} ({len(runs)} seeds)", color=color, linewidth=2)
        if len(runs) > 1:
            ax.fill_between(grid, ys.min(0), ys.max(0), color=color, alpha=0.15)
    if target is not None and not math.isnan(target):
        ax.axhline(target, color="black", linestyle=":", linewidth=1, label="target")
    ax.set_xlabel("env steps")
    ax.set_ylabel("training success, first attempt (smoothed)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left")
    if title:
        ax.set_title(title)
    tmp = out.with_name(out.name + ".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, out)
    return out


def write_compare_html(path: str | os.PathLike[str], rows: Sequence[Mapping[str, Any]],
                       summary: Sequence[Mapping[str, Any]], png: str | os.PathLike[str] | None, *, title: str,
                       target: float | None, command: str = "") -> Path:
    """``compare.html``: the summary table, the plot and links to every cell's report."""
    out = Path(path)
    e = html.escape
    head = ("<tr><th>mode</th><th>seeds</th><th>held-out before</th><th>held-out after</th><th>gain over none</th>"
            "<th>AUC</th><th>reached target</th><th>steps to target</th><th>vs none</th></tr>")
    body = []
    for s in summary:
        ci = s["success_after_ci"]
        after = _num(s["success_after"], True) + (f" ± {100 * ci:.1f}" if not math.isnan(ci) else "")
        gain = "–" if math.isnan(s["gain_over_none"]) else f"{100 * s['gain_over_none']:+.1f} pts"
        ratio = "–" if math.isnan(s["steps_vs_none"]) else f"{s['steps_vs_none']:.2f}×"
        body.append(f"<tr><td>{e(s['feedback'])}</td><td>{s['seeds']}</td><td>{_num(s['success_before'], True)}"
                    f"</td><td>{after}</td><td>{gain}</td><td>{_num(s['auc'])}</td><td>{e(s['reached_target'])}</td>"
                    f"<td>{_num(s['steps_to_target'], digits=0)}</td><td>{ratio}</td></tr>")
    cells = []
    for r in rows:
        link = os.path.relpath(Path(r["run_dir"]) / "report.html", out.parent)
        cells.append(f"<tr><td>{e(r['feedback'])}</td><td>{r['seed']}</td><td>{_num(r['success_before'], True)}"
                     f"</td><td>{_num(r['success_after'], True)}</td><td>{_num(r['auc'])}</td>"
                     f"<td>{_num(r['steps_to_target'], digits=0)}</td><td><a href=\"{e(link)}\">report</a></td></tr>")
    img = ""
    if png and Path(png).is_file():
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        img = f'<section class="card"><h2>Learning curves</h2><img alt="curves" src="data:image/png;base64,{data}">' \
              "</section>"
    cmd = f'<section class="card"><h2>Command</h2><pre>{e(command)}</pre></section>' if command else ""
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
            f"<style>{CSS}</style></head><body><main><header><h1>{e(title)}</h1></header>"
            f'<section class="card"><h2>Per mode</h2><p class="muted">mean ± 95% CI over seeds; target '
            f"{_num(target, True)} first-attempt training success</p><div class=\"scroll\"><table>{head}"
            f"{''.join(body)}</table></div></section>{img}"
            f'<section class="card"><h2>Cells</h2><div class="scroll"><table><tr><th>mode</th><th>seed</th>'
            f"<th>before</th><th>after</th><th>AUC</th><th>steps to target</th><th></th></tr>{''.join(cells)}"
            f"</table></div></section>{cmd}<footer>Generated by rrm-gym compare.</footer></main></body></html>")
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out
