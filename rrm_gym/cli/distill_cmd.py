"""``rrm-gym distill``: train a small judge offline from a teacher's labels (a thin layer over ``run_distill``)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from rrm_gym.cli.options import parse_key_values
from rrm_gym.distill.sft import SFTSettings

_SFT = SFTSettings()  # the one place the fine-tuning defaults live

__all__ = ["distill"]

_SFT_FIELDS = {"epochs": "epochs", "sft_steps": "max_steps", "lr": "learning_rate", "grad_accum": "grad_accum",
               "lora_r": "lora_r", "lora_layers": "lora_layers", "time_limit_min": "time_limit_s"}


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--env", "envs", multiple=True, help="Env id, repeatable [default: rrm/WebWalker-v0 and "
              "rrm/MultiHopQA-v0].")
@click.option("--difficulty", default="auto", help="Task tier; auto: WebWalker easy, other envs their default.")
@click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE", help="Extra gym.make kwarg, repeatable.")
@click.option("--train-tasks", type=int, default=40, help="Training tasks per env (env train split).")
@click.option("--val-tasks", type=int, default=25, help="Held-out validation tasks per env (env test split).")
@click.option("--per-task", type=int, default=2, help="Attempts per task, each by a different policy.")
@click.option("--mix", default="", help="Policy weights, e.g. 'solver=3,solver:wrong=2,random=1' "
              "[default: solvers with every mistake kind + random].")
@click.option("--max-episode-steps", type=int, default=8, help="Steps per attempt at most.")
@click.option("--from", "sources", multiple=True, type=click.Path(exists=True),
              help="Also import trajectories: a JSONL file or an `rrm-gym train` run directory; repeatable.")
@click.option("--source-env", default=None, help="Env id of imported trajectories that do not name one.")
@click.option("--teacher", default="reference", help="Teacher judge (any judge name; default the reference judge).")
@click.option("--teacher-opt", "teacher_opts", multiple=True, metavar="KEY=VALUE",
              help="Teacher option, repeatable (e.g. base_url=http://127.0.0.1:8000/v1).")
@click.option("--student", default=None, help="Student base model folder [default: bundled SmolLM2-135M].")
@click.option("--epochs", type=float, default=_SFT.epochs, help="Passes over the training set.")
@click.option("--sft-steps", type=int, default=None, help="Optimizer steps (overrides --epochs).")
@click.option("--lr", type=float, default=_SFT.learning_rate, help="LoRA learning rate.")
@click.option("--grad-accum", type=int, default=_SFT.grad_accum, help="Sequences per optimizer step.")
@click.option("--lora-r", type=int, default=_SFT.lora_r, help="LoRA rank.")
@click.option("--lora-layers", type=int, default=_SFT.lora_layers,
              help="LoRA on the top N transformer layers (0: all).")
@click.option("--time-limit-min", type=float, default=25.0,
              help="Stop fine-tuning after this many minutes (saved; rerun to continue). 0: no limit.")
@click.option("--train/--no-train", "do_train", default=True, help="Fine-tune (--no-train: collect and label only).")
@click.option("--seed", type=int, default=0, help="Seed of everything.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@click.option("--out", default=None, help="Run directory [default: runs/distill-<timestamp>]; an existing run "
              "directory is resumed.")
@click.pass_context
def distill(ctx: click.Context, **params: Any) -> None:
    """Collect trajectories, label them with a teacher judge and fine-tune a small student judge (LoRA, TRL).

    The student is saved as RUN_DIR/student, a plain Hugging Face folder: use it with
    `--judge hf --judge-opt model=RUN_DIR/student` (and measure it with `rrm-gym judge-eval RUN_DIR`). The
    defaults train in about 30 minutes on two free CPU cores. Running the same command with the same --out
    again resumes an interrupted run.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rrm_gym.distill import DistillConfig, SFTSettings
    from rrm_gym.distill.pipeline import run_distill

    out = params["out"]
    if out is None:
        import time

        out = os.path.join("runs", time.strftime("distill-%Y%m%d-%H%M%S"))
    sft: dict[str, Any] = {}
    for name, field in _SFT_FIELDS.items():
        value = params[name]
        if name == "time_limit_min":
            value = value * 60 if value else None
        if name == "lora_layers":
            value = value or None
        sft[field] = value
    try:
        config = DistillConfig(
            out=out, envs=list(params["envs"]) or list(DistillConfig().envs), difficulty=params["difficulty"],
            env_kwargs=parse_key_values(params["env_opts"], "env option"), train_tasks=params["train_tasks"],
            val_tasks=params["val_tasks"], per_task=params["per_task"], mix=params["mix"] or None,
            max_episode_steps=params["max_episode_steps"], sources=[str(s) for s in params["sources"]],
            source_env=params["source_env"], teacher=params["teacher"],
            teacher_opts=parse_key_values(params["teacher_opts"], "teacher option"), student=params["student"],
            sft=SFTSettings(**sft, seed=params["seed"]), train=params["do_train"], seed=params["seed"],
        )
        if params["sources"] and not params["envs"]:
            config.envs = []
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        summary = run_distill(config, show_progress=params["progress"])
    except (ValueError, FileExistsError) as exc:
        raise click.UsageError(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted. Continue with the same command (--out {out}).", err=True)
        sys.exit(130)
    splits = summary.get("splits", {})
    click.echo(f"Labelled {summary['records']} trajectories ({splits.get('train', 0)} train, "
               f"{splits.get('validation', 0)} validation; {summary['teacher_failures']} teacher failures) in {out}")
    if "train" in summary:
        t = summary["train"]
        click.echo(f"Student: {summary['student']} ({t['steps']}/{t['total_steps']} steps, "
                   f"{t['seconds'] / 60:.1f} min, loss {t.get('first_loss') or float('nan'):.3f} → "
                   f"{t.get('final_loss') or float('nan'):.3f})")
        click.echo(f"Evaluate it: rrm-gym judge-eval {out} --judge hf --judge-opt model={summary['student']}")
