"""``rrm-gym judge``: judge recorded trajectories from a JSONL file (or a run directory) and write judgements as JSONL.

The input formats are described in :mod:`rrm_gym.cli.judge_input`. Output: one JSON object per judged trajectory,
in input order: ``{"line", "task_id", "judgement"}`` (plus ``"attempt"`` for a ``samples.jsonl`` episode and
``"replayed"`` when its turns were recovered by replaying it), or ``{"line", "error"}`` for an input line that
could not be read. Exit status: 0 when every line was read and every judgement is ``ok``, 1 when any line was
unreadable or any judgement failed, 2 for bad arguments (unknown judge, missing file, ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rrm_gym.cli.errors import InputError
from rrm_gym.cli.options import judge_options, parse_key_values

__all__ = ["judge", "read_requests"]


def read_requests(path: Path) -> list[tuple[int, Any]]:
    """Read a JSONL file of trajectories or judge requests: ``(line_number, JudgeRequest or error text)`` each.

    A line may hold a trajectory (``question``, ``turns``, ``final_answer``, ``task_id``), a request
    (``question``, ``trajectory``, ``reference``) or a ``samples.jsonl`` episode (one entry per attempt). Bad lines
    are kept as errors so no input line is lost.
    """
    from rrm_gym.cli.judge_input import read_items

    return [(item.line, item.request if item.request is not None else item.error) for item in read_items(path)]


def _write(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


@click.command()
@click.argument("trajectories", type=click.Path(exists=True, path_type=Path))
@judge_options
@click.option("--env", default=None,
              help="Env to replay samples.jsonl episodes in, for their turn infos and reference [default: the "
                   "run's, from config.yaml next to the file].")
@click.option("--cache", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite judge cache; repeated requests cost no model call.")
@click.option("--batch-size", type=int, default=8, show_default=True, help="Requests per judge call.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output JSONL (default: stdout).")
def judge(trajectories: Path, judge_name: str, judge_opts: tuple[str, ...], env: str | None, cache: Path | None,
          batch_size: int, out: Path | None) -> None:
    """Judge every trajectory in TRAJECTORIES and print one judgement per line (JSONL).

    TRAJECTORIES is a JSONL file, or an `rrm-gym train` run directory (its samples.jsonl). Each line holds a
    trajectory ({"question", "turns": [{"observation", "action", "reward", "info"}], "final_answer",
    "task_id"}), a judge request ({"question", "trajectory", "reference"}) or an episode of a run's
    samples.jsonl ({"task_id", "question", "attempts": [...]}; each attempt is judged). Output lines are
    {"line", "task_id", "judgement"} (plus "attempt" for samples) or {"line", "error"} for unreadable input.

    Exit status: 0 when every line was read and judged ok; 1 when any line was unreadable or any judgement
    failed; 2 for bad arguments.
    """
    from rrm_gym.cli.judge_input import read_items, resolve_input
    from rrm_gym.judges import call_judge, make
    from rrm_gym.judges.registry import check_options

    if batch_size < 1:
        raise click.BadParameter("--batch-size must be >= 1")
    opts = parse_key_values(judge_opts, "judge option")
    try:
        check_options(judge_name, opts)
        path, replay_env, env_kwargs = resolve_input(trajectories, env)
    except (ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from exc
    if cache is not None:
        opts["cache"] = str(cache)
    the_judge = make(judge_name, **opts)
    items = read_items(path, replay_env, env_kwargs)
    good = [(k, it) for k, it in enumerate(items) if it.request is not None]
    console = Console(stderr=True)
    results: dict[int, dict[str, Any]] = {k: {"line": it.line, "error": it.error} for k, it in enumerate(items)
                                          if it.request is None}
    columns = (TextColumn("judging"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True, disable=not good) as progress:
        task = progress.add_task("judge", total=len(good))
        for start in range(0, len(good), batch_size):
            chunk = good[start : start + batch_size]
            judgements = call_judge(the_judge, [it.request for _, it in chunk], on_error="neutral")
            for (k, it), j in zip(chunk, judgements, strict=True):
                record: dict[str, Any] = {"line": it.line, "task_id": it.request.trajectory.task_id}
                if it.attempt is not None:
                    record.update(attempt=it.attempt, replayed=it.replayed)
                results[k] = {**record, "judgement": j.to_dict()}
            progress.advance(task, len(chunk))
    stream = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for k in sorted(results):
            _write(stream, results[k])
    finally:
        if out:
            stream.close()
    ok = sum(1 for r in results.values() if r.get("judgement", {}).get("ok"))
    unreadable = [r for r in results.values() if "error" in r]
    failed = len(results) - ok - len(unreadable)
    console.print(f"{len(results)} judged: {ok} ok, {failed} failed judgements, {len(unreadable)} unreadable lines")
    for r in unreadable[:3]:
        console.print(f"[red]Error:[/] {r['error']}", highlight=False)
    failure = next((r["judgement"].get("error") for r in results.values()
                    if "judgement" in r and not r["judgement"].get("ok")), None)
    if failure:
        console.print(f"[red]Error:[/] first failed judgement: {failure}", highlight=False)
    if not good and unreadable:
        console.print("[red]Error:[/] no line holds a trajectory; `rrm-gym judge --help` describes the format")
    if failed or unreadable:
        sys.exit(1)
