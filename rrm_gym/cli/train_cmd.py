"""``rrm-gym train``: the main job (a thin layer over :func:`rrm_gym.agents.run.runner.run_training`)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from rrm_gym.cli.options import judge_options, parse_key_values

__all__ = ["train"]

def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


_FIELD_OF = {"judge_name": "judge", "env_opts": "env_kwargs", "agent_opt": "agent_opts"}
_PARSED = {"judge_opts": "judge option", "env_opts": "env option", "agent_opt": "agent option"}


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--env", default="rrm/WebWalker-v0", help="Env id (`rrm-gym envs` lists them).")
@click.option("--difficulty", default="auto",
              help="Task tier env kwarg; auto: WebWalker easy tier with 4-step episodes, other envs their defaults.")
@click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE", help="Extra gym.make kwarg, repeatable.")
@click.option("--feedback", type=click.Choice(["none", "critique", "reward", "unified"]), default="unified",
              help="RRM feedback: none, critique (C), reward (R) or unified (U).")
@judge_options
@click.option("--judge-cache/--no-judge-cache", default=True, help="Cache judgements in RUN_DIR/judge_cache.sqlite.")
@click.option("--lam", type=float, default=0.3, help="λ of the shaped reward env + λ·score.")
@click.option("--max-refinements", type=int, default=1, help="Refinement attempts per episode under C/U.")
@click.option("--on-error", type=click.Choice(["neutral", "skip", "raise"]), default="neutral",
              help="What a judge failure does.")
@click.option("--agent", type=click.Choice(["ppo", "grpo", "sb3", "trl"]), default="ppo",
              help="ppo/grpo: bundled LLM learners; sb3: MaskablePPO bridge; trl: TRL GRPOTrainer.")
@click.option("--model", default=None, help="Model folder or hub id for LLM agents [default: bundled SmolLM2-135M].")
@click.option("--agent-opt", multiple=True, metavar="KEY=VALUE",
              help="Agent setting, repeatable (e.g. num_steps=8, max_new_tokens=32, group_size=4, n_steps=128).")
@click.option("--seed", type=int, default=0, help="Seed of envs, sampling and initialisation.")
@click.option("--total-steps", type=int, default=None, help="Env-step budget (stops at this or --iterations).")
@click.option("--iterations", type=int, default=None, help="Learner-update budget (stops at this or --total-steps).")
@click.option("--num-envs", type=int, default=4, help="Envs stepped in parallel.")
@click.option("--vectorization-mode", type=click.Choice(["sync", "async"]), default="sync", help="Vector env kind.")
@click.option("--eval-episodes", type=int, default=16, help="Held-out episodes before and after training (0: skip).")
@click.option("--eval-split", default="test", help="Task split of the evaluation.")
@click.option("--eval-before/--no-eval-before", default=True, help="Also evaluate before training.")
@click.option("--checkpoint-every", type=int, default=1, help="Checkpoint every N iterations (and at the end).")
@click.option("--keep-checkpoints", type=int, default=2, help="Checkpoints kept.")
@click.option("--tensorboard/--no-tensorboard", default=True, help="Write TensorBoard events to RUN_DIR/tb.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@click.option("--out", default=None, help="Run directory [default: runs/<timestamp>-<env>-<feedback>-<agent>].")
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
    """
    # Idle OpenMP threads sleep instead of spinning: on a shared or busy CPU spinning slows torch down severalfold.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rrm_gym.agents.run.config import TrainConfig, load_config_file
    from rrm_gym.agents.run.runner import load_run_config, run_training

    overrides: dict[str, Any] = {}
    for name, value in params.items():
        if not _given(ctx, name):
            continue
        if name in _PARSED:
            value = parse_key_values(value, _PARSED[name])
        overrides[_FIELD_OF.get(name, name)] = value
    try:
        file_values = load_config_file(config_file) if config_file else {}
        if resume:
            config = load_run_config(resume, {**file_values, **overrides})
        else:
            config = TrainConfig.from_sources(file_values, overrides)
    except (ValueError, FileNotFoundError) as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        run_training(config, resume=resume)
    except FileExistsError as exc:
        raise click.UsageError(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted. Continue with: rrm-gym train --resume {config.out}", err=True)
        sys.exit(130)
