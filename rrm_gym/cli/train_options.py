"""The options of ``rrm-gym train``, shared with ``rrm-gym compare`` (one definition, one set of defaults)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click
from click.core import ParameterSource

from rrm_gym.cli.options import judge_options, parse_key_values

__all__ = ["train_options", "collect_overrides"]

_FIELD_OF = {"judge_name": "judge", "env_opts": "env_kwargs", "agent_opt": "agent_opts"}
_PARSED = {"judge_opts": "judge option", "env_opts": "env option", "agent_opt": "agent option"}


def _options() -> list[Callable[[Any], Any]]:
    """Every train option as a decorator, top to bottom (``judge_options`` stands for ``--judge``/``--judge-opt``)."""
    return [
        click.option("--env", default="rrm/WebWalker-v0",
                     help="Env id (`rrm-gym envs` lists them), or module:Id for your own (`rrm-gym check ID`)."),
        click.option("--difficulty", default="auto",
                     help="Task tier, a reset option (envs without tiers ignore it); auto: WebWalker easy tier with "
                          "4-step episodes, other envs their defaults."),
        click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE",
                     help="Extra gym.make kwarg, repeatable."),
        click.option("--feedback", type=click.Choice(["none", "critique", "reward", "unified"]), default="unified",
                     help="RRM feedback: none, critique (C), reward (R) or unified (U)."),
        judge_options,
        click.option("--judge-cache/--no-judge-cache", default=True,
                     help="Cache judgements in RUN_DIR/judge_cache.sqlite."),
        click.option("--lam", type=float, default=0.3, help="λ of the shaped reward env + λ·score."),
        click.option("--max-refinements", type=int, default=1, help="Refinement attempts per episode under C/U."),
        click.option("--on-error", type=click.Choice(["neutral", "skip", "raise"]), default="neutral",
                     help="What a judge failure does."),
        click.option("--agent", type=click.Choice(["ppo", "grpo", "sb3", "trl"]), default="ppo",
                     help="ppo/grpo: bundled LLM learners; sb3: MaskablePPO bridge; trl: TRL GRPOTrainer."),
        click.option("--model", default=None,
                     help="Model folder or hub id for LLM agents [default: bundled SmolLM2-135M]."),
        click.option("--action-mode", type=click.Choice(["choose", "generate"]), default="choose",
                     help="ppo/grpo: choose among the env's candidate actions (scored by the model) or generate "
                          "free text."),
        click.option("--agent-opt", multiple=True, metavar="KEY=VALUE",
                     help="Agent setting, repeatable (e.g. num_steps=8, learning_rate=1e-3, group_size=4, "
                          "n_steps=128)."),
        click.option("--seed", type=int, default=0, help="Seed of envs, sampling and initialisation."),
        click.option("--total-steps", type=int, default=None, help="Env-step budget (stops at this or --iterations)."),
        click.option("--iterations", type=int, default=None,
                     help="Learner-update budget (stops at this or --total-steps)."),
        click.option("--num-envs", type=int, default=4, help="Envs stepped in parallel."),
        click.option("--vectorization-mode", type=click.Choice(["sync", "async"]), default="sync",
                     help="Vector env kind."),
        click.option("--eval-episodes", type=int, default=16,
                     help="Held-out episodes before and after training (0: skip)."),
        click.option("--eval-split", default="test", help="Task split of the evaluation."),
        click.option("--eval-before/--no-eval-before", default=True, help="Also evaluate before training."),
        click.option("--checkpoint-every", type=int, default=1,
                     help="Checkpoint every N iterations (and at the end)."),
        click.option("--keep-checkpoints", type=int, default=2, help="Checkpoints kept."),
        click.option("--tensorboard/--no-tensorboard", default=True, help="Write TensorBoard events to RUN_DIR/tb."),
        click.option("--progress/--no-progress", default=True, help="Show progress bars."),
        click.option("--out", default=None,
                     help="Run directory [default: runs/<timestamp>-<env>-<feedback>-<agent>]."),
    ]


_NAMES = ("env", "difficulty", "env_opts", "feedback", "judge", "judge_cache", "lam", "max_refinements", "on_error",
          "agent", "model", "action_mode", "agent_opt", "seed", "total_steps", "iterations", "num_envs",
          "vectorization_mode", "eval_episodes", "eval_split", "eval_before", "checkpoint_every", "keep_checkpoints",
          "tensorboard", "progress", "out")


def train_options(exclude: Iterable[str] = ()) -> Callable[[Any], Any]:
    """Decorate a command with the train options, except the long names (``--seed`` -> ``seed``) in ``exclude``."""
    skip = set(exclude)

    def decorate(func: Any) -> Any:
        for option, name in reversed(list(zip(_options(), _NAMES, strict=True))):
            if name not in skip:
                func = option(func)
        return func

    return decorate


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def collect_overrides(ctx: click.Context, params: dict[str, Any]) -> dict[str, Any]:
    """The TrainConfig fields the user gave on the command line (defaults stay out: the config file may set them)."""
    overrides: dict[str, Any] = {}
    for name, value in params.items():
        if name not in ctx.params or not _given(ctx, name):
            continue
        if name in _PARSED:
            value = parse_key_values(value, _PARSED[name])
        overrides[_FIELD_OF.get(name, name)] = value
    return overrides
