"""The distill run: collect → label → split → fine-tune, in a run directory that resumes where it stopped.

Run directory::

    RUN_DIR/config.json          every setting (a resumed run must keep the data-deciding ones)
    RUN_DIR/trajectories.jsonl   collected attempts, one record a line (appended, fsynced)
    RUN_DIR/labelled.jsonl       the same records with the teacher's judgement
    RUN_DIR/train.jsonl, validation.jsonl   the split by task (parsed teacher judgements only)
    RUN_DIR/dataset/             the same as a Hugging Face ``datasets.DatasetDict`` (``load_from_disk``)
    RUN_DIR/sft/                 Trainer checkpoints (training resumes from the newest)
    RUN_DIR/student/             the merged student: ``make("hf", model=RUN_DIR/student)``
    RUN_DIR/summary.json         counts, timings and the training summary

Every stage skips what is already there, so running the same command again after an interruption (or a crash)
continues: collected and labelled keys are not redone, and training restarts from its last checkpoint.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rrm_gym.distill.config import DistillConfig, env_kwargs_for
from rrm_gym.distill.records import JsonlFile, write_json, write_records

__all__ = ["run_distill", "prepare_run_dir", "collect_stage", "label_stage"]


def prepare_run_dir(config: DistillConfig) -> tuple[Path, bool]:
    """Create the run directory or check it against ``config``; returns ``(path, resumed)``."""
    out = Path(config.out)
    if (out / "config.json").is_file():
        saved = DistillConfig.load(out)
        diff = saved.data_differences(config)
        if diff:
            raise ValueError(f"{out} holds a distill run with other data settings ({', '.join(diff)}); use another "
                             "--out, or the same settings to resume it")
        config.save(out)
        return out, True
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not a distill run directory")
    out.mkdir(parents=True, exist_ok=True)
    config.save(out)
    return out, False


def _progress(enabled: bool, console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.fields[extra]}"))
    return Progress(*columns, console=console, disable=not enabled)


def collect_stage(config: DistillConfig, out: JsonlFile, progress: Any) -> int:
    """Collect the planned attempts of every env split and import the sources; returns records added."""
    from rrm_gym.distill.collect import hash_split, import_trajectories, imported_record, plan_env, run_episode
    from rrm_gym.distill.policies import make_policy
    from rrm_gym.envs.from_id import make_task_env

    added = 0
    for env_id in config.envs:
        env = make_task_env(env_id, **env_kwargs_for(env_id, config.difficulty, config.env_kwargs))
        try:
            plans = []
            for split, count in (("train", config.train_tasks), ("test", config.val_tasks)):
                if count:
                    plans += list(plan_env(env_id, env, split=split, tasks=count, per_task=config.per_task,
                                           mix=config.mix, seed=config.seed))
            todo = [p for p in plans if p[0] not in out]
            task = progress.add_task(f"collect {env_id}", total=len(plans), completed=len(plans) - len(todo),
                                     extra="")
            for key, task_id, policy, seed in todo:
                record = run_episode(env, make_policy(policy), task_id, seed, config.max_episode_steps)
                out.append({"key": key, "env": env_id, "split": key.split("|")[1], **record})
                added += 1
                progress.advance(task)
        finally:
            env.close()
    envs: dict[str, Any] = {}
    for source in config.sources:
        items = list(import_trajectories(source, config.source_env))
        task = progress.add_task(f"import {Path(source).name}", total=len(items), extra="")
        for n, (env_id, item) in enumerate(items):
            key = f"import|{source}|{n}"
            if key not in out:
                env = None
                if env_id:
                    if env_id not in envs:
                        envs[env_id] = make_task_env(env_id, **env_kwargs_for(env_id, config.difficulty,
                                                                              config.env_kwargs))
                    env = envs[env_id]
                record = imported_record(item, env, max(config.max_episode_steps, 64))
                task = record["task_id"] or record["trajectory"]["question"]  # no id: the question is the task
                split = hash_split(f"{env_id}|{task}", config.val_fraction)
                out.append({"key": key, "env": env_id or "", "split": split, **record})
                added += 1
            progress.advance(task)
    for env in envs.values():
        env.close()
    return added


def label_stage(config: DistillConfig, records: list[dict[str, Any]], out: JsonlFile, progress: Any) -> int:
    """Label every collected record with the teacher; returns records labelled now."""
    from rrm_gym.distill.label import label_records
    from rrm_gym.judges import make

    todo = sum(1 for r in records if str(r["key"]) not in out)
    task = progress.add_task(f"label ({config.teacher})", total=len(records), completed=len(records) - todo,
                             extra="")
    if not todo:
        return 0
    teacher = make(config.teacher, **config.teacher_opts)
    return label_records(records, teacher, out, batch_size=config.teacher_batch,
                         advance=lambda n: progress.advance(task, n))


def run_distill(config: DistillConfig, console: Any = None, show_progress: bool = True) -> dict[str, Any]:
    """Run (or resume) a distill run; returns the summary also written to ``RUN_DIR/summary.json``.

    Example:
        >>> cfg = DistillConfig(out="/tmp/j", train_tasks=2, val_tasks=1, train=False)
        >>> summary = run_distill(cfg)  # doctest: +SKIP
        >>> summary["splits"]["train"] > 0  # doctest: +SKIP
        True
    """
    from rich.console import Console

    from rrm_gym.distill.label import check_split, save_dataset, split_records, usable

    console = console or Console(stderr=True)
    began = time.perf_counter()
    run_dir, resumed = prepare_run_dir(config)
    if resumed:
        console.print(f"[bold]Resuming[/] distill run {run_dir}")
    summary: dict[str, Any] = {"run_dir": str(run_dir), "resumed": resumed}
    with _progress(show_progress, console) as progress:
        trajectories = JsonlFile(run_dir / "trajectories.jsonl")
        t0 = time.perf_counter()
        summary["collected_now"] = collect_stage(config, trajectories, progress)
        summary["collect_s"] = time.perf_counter() - t0
        records = trajectories.rows()
        labelled = JsonlFile(run_dir / "labelled.jsonl")
        t0 = time.perf_counter()
        summary["labelled_now"] = label_stage(config, records, labelled, progress)
        summary["label_s"] = time.perf_counter() - t0
    rows = labelled.rows()
    check_split(rows)
    good = [r for r in rows if usable(r)]
    splits = split_records(good)
    for name, part in splits.items():
        write_records(run_dir / f"{name}.jsonl", part)
    save_dataset(splits, run_dir / "dataset")
    summary.update(records=len(rows), teacher_failures=len(rows) - len(good),
                   splits={k: len(v) for k, v in splits.items()},
                   success_rate={k: (sum(bool(r["success"]) for r in v) / len(v) if v else None)
                                 for k, v in splits.items()})
    if config.train:
        summary["train"] = _train_stage(config, run_dir, splits["train"], console, show_progress)
        summary["student"] = str(run_dir / "student")
    summary["wall_s"] = time.perf_counter() - began
    write_json(run_dir / "summary.json", summary)
    return summary


def _train_stage(config: DistillConfig, run_dir: Path, train: list[dict[str, Any]], console: Any,
                 show_progress: bool) -> dict[str, Any]:
    import json

    from rrm_gym.distill.sft import train_student
    from rrm_gym.models import resolve_model_path

    done = run_dir / "student" / "distill.json"
    if done.is_file():
        previous = json.loads(done.read_text(encoding="utf-8"))
        if previous.get("finished"):
            console.print(f"Student already trained: {run_dir / 'student'}")
            return previous
    base = resolve_model_path(config.student)
    with _progress(show_progress, console) as progress:
        task = progress.add_task("fine-tune", total=None, extra="")

        def on_step(step: int, total: int, logs: dict[str, float]) -> None:
            loss = logs.get("loss")
            progress.update(task, total=total, completed=step, extra=f"loss {loss:.3f}" if loss is not None else "")

        summary = train_student(train, base, run_dir / "sft", run_dir / "student", config.sft, on_step=on_step)
    if not summary["finished"]:
        console.print(f"[yellow]Training stopped at step {summary['steps']}/{summary['total_steps']} (time limit); "
                      f"the student is saved. Run the same command again to continue.[/]")
    return summary
