"""``rrm-gym train``: the main job (a thin layer over :func:`rrm_gym.agents.run.runner.run_training`)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from rrm_gym.cli.errors import InputError
from rrm_gym.cli.invocation import command_prefix
from rrm_gym.cli.train_options import collect_overrides, train_options

__all__ = ["train"]


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@train_options()
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML or TOML file of settings; command-line flags override it.")
@click.option("--resume", type=click.Path(exists=True, file_okay=False), default=None,
              help="Continue the run in this directory from its last complete checkpoint.")
@click.pass_context
def train(ctx: click.Context, config_file: str | None, resume: str | None, **params: Any) -> None:
    """Train an agent on an env with reasoning-reward-model feedback; evaluates before and after.

    With no arguments: PPO with LoRA on the bundled SmolLM2-135M, rrm/WebWalker-v0 (easy tier), unified feedback
    from the reference judge, a budget that fits in about ten minutes on two CPU cores. Every run writes
    config.yaml, metrics.jsonl, TensorBoard events, checkpoints/, learning_curve.png, report.html and
    eval_before.json / eval_after.json into its run directory.

    Budgets: --iterations counts learner updates, --total-steps counts env steps; training stops at whichever
    comes first. One iteration is: ppo, one rollout of num_steps vector steps + update; grpo, one group of
    episodes per task + update; sb3, n_steps x num_envs env steps + update; trl, one GRPOTrainer step.

    Every setting is checked before the model loads: a bad one prints one `Error:` line, exits with status 2 and
    leaves no run directory behind.
    """
    # Idle OpenMP threads sleep instead of spinning: on a shared or busy CPU spinning slows torch down severalfold.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from pathlib import Path

    from rrm_gym.agents.run.config import TrainConfig, load_config_file
    from rrm_gym.agents.run.runner import load_run_config, run_training
    from rrm_gym.agents.run.validate import ConfigError
    from rrm_gym.envs.support import EnvSupportError

    overrides = collect_overrides(ctx, params)
    try:
        file_values = load_config_file(config_file) if config_file else {}
        if resume:
            config = load_run_config(resume, {**file_values, **overrides})
        else:
            config = TrainConfig.from_sources(file_values, overrides)
    except (ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from exc
    prefix = command_prefix()
    try:
        result = run_training(config, resume=resume)
    except (ConfigError, EnvSupportError, FileExistsError) as exc:
        raise InputError(str(exc)) from exc
    except KeyboardInterrupt:
        if config.out and (Path(config.out) / "config.yaml").is_file():
            click.echo(f"\nInterrupted. Continue with: {prefix} train --resume {config.out}", err=True)
        else:
            click.echo("\nInterrupted before training started; nothing was kept.", err=True)
        sys.exit(130)
    more = (f"--total-steps {2 * max(1, result.env_steps)}" if config.total_steps is not None
            else f"--iterations {2 * max(1, result.iterations)}")
    click.echo(f"Evaluate again: {prefix} eval {result.run_dir}\nTrain longer:   {prefix} train --resume "
               f"{result.run_dir} {more}")
