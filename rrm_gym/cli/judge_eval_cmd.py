"""``rrm-gym judge-eval``: measure any judge on held-out labelled trajectories (a thin layer over the library)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from rrm_gym.cli.options import judge_options, parse_key_values

__all__ = ["judge_eval"]

_ROWS = (("parse_rate", "parse rate"), ("own_parse_rate", "parse rate, replies alone"),
         ("spearman", "Spearman vs teacher"), ("pearson", "Pearson vs teacher"),
         ("auroc", "AUROC (success)"), ("auroc_neutral", "AUROC, failures = 0.5"), ("ece", "ECE"),
         ("leak_rate", "leak rate"), ("gold_mention_rate", "gold mentioned (seen)"), ("mean_score", "mean score"),
         ("success_rate", "success rate"), ("mean_latency_s", "mean latency (s)"),
         ("judgements_per_s", "judgements / s"))


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:80] or "judge"


def _add_completed(result: dict[str, Any], completed: dict[str, int]) -> None:
    """Say how many parsed judgements needed the hf judge's score completion, and the parse rate without it."""
    for part, count in [(result, sum(completed.values()))] + [(result["by_env"][e], c) for e, c in completed.items()]:
        part["score_completed"] = count
        if part.get("n"):
            part["own_parse_rate"] = (part["parsed"] - count) / part["n"]
    if result["score_completed"]:
        result["notes"].append(f"{result['score_completed']} of {result['parsed']} parsed judgements had no score in "
                               "the reply itself; the same model completed it (hf score_fallback, turn it off with "
                               "--judge-opt score_fallback=false)")


@click.command("judge-eval", context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.argument("labelled", type=click.Path(exists=True, path_type=Path))
@judge_options
@click.option("--split", default="validation", help="Split to evaluate on ('all' for every record).")
@click.option("--env", "envs", multiple=True, help="Only records of this env id, repeatable.")
@click.option("--limit", type=int, default=None, help="Evaluate at most this many records (per env).")
@click.option("--batch-size", type=int, default=8, help="Requests per judge call.")
@click.option("--bins", type=int, default=10, help="Calibration bins (ECE and the reliability diagram).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder [default: LABELLED/judge_eval/<judge> for a run directory, else ./judge_eval/…].")
def judge_eval(labelled: Path, judge_name: str, judge_opts: tuple[str, ...], split: str, envs: tuple[str, ...],
               limit: int | None, batch_size: int, bins: int, out: Path | None) -> None:
    """Evaluate a judge on LABELLED trajectories: a distill run directory, a labelled JSONL file or a dataset.

    Prints parse rate, Spearman/Pearson with the teacher's scores, AUROC of the score for task success, ECE, the
    critique leak rate, mean latency and judgements/s — overall and per env — and writes judge_eval.json and a
    reliability diagram (reliability.png) into the output folder.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rrm_gym.distill.evaluate import compute_metrics, judge_records, plot_reliability
    from rrm_gym.distill.label import load_labelled, usable
    from rrm_gym.distill.records import write_json, write_records
    from rrm_gym.judges import judge_name as name_of
    from rrm_gym.judges import make

    if batch_size < 1 or bins < 1:
        raise click.BadParameter("--batch-size and --bins must be >= 1")
    try:
        records = load_labelled(labelled, None if split == "all" else split)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from exc
    records = [r for r in records if usable(r) and (not envs or r.get("env") in envs)]
    if limit is not None:
        per_env: dict[str, int] = {}
        kept = []
        for r in records:
            per_env[r.get("env", "")] = per_env.get(r.get("env", ""), 0) + 1
            if per_env[r.get("env", "")] <= limit:
                kept.append(r)
        records = kept
    if not records:
        raise click.UsageError(f"no labelled records in {labelled} for split {split!r}"
                               + (f" and env(s) {', '.join(envs)}" if envs else ""))
    opts = parse_key_values(judge_opts, "judge option")
    console = Console(stderr=True)
    judge = make(judge_name, **opts)
    label = name_of(judge)
    if out is None:
        run_dir = labelled.is_dir() and (labelled / "labelled.jsonl").is_file()
        base = labelled / "judge_eval" if run_dir else Path("judge_eval")
        extra = "_".join(f"{k}-{Path(str(v)).name if k == 'model' else v}" for k, v in sorted(opts.items()))
        out = base / _slug(judge_name + (f"_{extra}" if extra else ""))
    columns = (TextColumn(f"judging with {label[:40]}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn())
    env_names = sorted({str(r.get("env") or "") for r in records})
    groups = {env: [i for i, r in enumerate(records) if str(r.get("env") or "") == env] for env in env_names}
    judgements: list[Any] = [None] * len(records)
    walls: dict[str, float] = {}
    completed: dict[str, int] = {}  # replies whose score the hf judge had to complete (score_fallback), per env
    stats = getattr(judge, "engine_stats", None)
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("judge", total=len(records))
        for env, idx in groups.items():  # env by env, so each env's judgements/s is its own
            before = stats.get("score_fallbacks_ok", 0) if isinstance(stats, dict) else 0
            got, walls[env] = judge_records([records[i] for i in idx], judge, batch_size=batch_size,
                                            advance=lambda n: progress.advance(task, n))
            if isinstance(stats, dict) and "score_fallbacks" in stats:
                completed[env] = int(stats.get("score_fallbacks_ok", 0) - before)
            for i, j in zip(idx, got, strict=True):
                judgements[i] = j
    wall = sum(walls.values())
    result: dict[str, Any] = {"judge": label, "judge_name": judge_name, "judge_opts": opts, "source": str(labelled),
                              "split": split, **compute_metrics(records, judgements, wall, bins), "by_env": {}}
    for env, idx in groups.items():
        result["by_env"][env] = compute_metrics([records[i] for i in idx], [judgements[i] for i in idx],
                                                walls[env], bins)
    if completed:
        _add_completed(result, completed)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "judge_eval.json", result)
    write_records(out / "judgements.jsonl", [{"key": r.get("key"), "env": r.get("env"), "success": r.get("success"),
                                              "teacher_score": (r.get("teacher") or {}).get("score"),
                                              "judgement": j.to_dict()} for r, j in zip(records, judgements,
                                                                                         strict=True)])
    plot_reliability(result, out / "reliability.png", title=f"{label[:60]} · {split}")
    table = Table(title=f"judge-eval: {label[:70]} on {len(records)} {split} trajectories")
    table.add_column("metric")
    table.add_column("all", justify="right")
    for env in env_names:
        table.add_column(env.replace("rrm/", "") or "?", justify="right")
    for key, title in _ROWS:
        table.add_row(title, _fmt(result.get(key)), *(_fmt(result["by_env"][e].get(key)) for e in env_names))
    Console().print(table)
    for note in result["notes"]:
        console.print(f"[yellow]note:[/] {note}")
    for err in result["errors"][:3]:
        console.print(f"[dim]{err['count']}× {err['error']}[/]")
    console.print(f"Wrote {out / 'judge_eval.json'} and {out / 'reliability.png'}")
