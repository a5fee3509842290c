"""``rrm-gym eval RUN_DIR_OR_MODEL``: held-out success rate with a 95% interval, JSON on stdout."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any

import click

from rrm_gym.cli.options import parse_key_values

__all__ = ["eval_cmd"]


@click.command("eval", context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.argument("target")
@click.option("--env", default=None, help="Env id [default: the run's env; required for a model].")
@click.option("--episodes", type=int, default=50, help="Episodes to run.")
@click.option("--split", default="test", help="Task split (test = held-out tasks).")
@click.option("--seed", type=int, default=0, help="Episode k resets with seed + k.")
@click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE", help="Extra gym.make kwarg, repeatable.")
@click.option("--progress/--no-progress", default=False, help="Show a progress bar (on stderr).")
def eval_cmd(target: str, env: str | None, episodes: int, split: str, seed: int, env_opts: tuple[str, ...],
             progress: bool) -> None:
    """Evaluate TARGET: a run directory (its latest checkpoint), a checkpoint, or a model path / hub id.

    Prints the result as JSON on stdout (success_rate, ci_low, ci_high, mean_reward, episodes, per_task, ...) and
    a short table on stderr.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see `rrm-gym train`
    from rich.console import Console

    from rrm_gym.agents.run.eval_run import evaluate_target
    from rrm_gym.report.metrics import json_safe
    from rrm_gym.report.summary import eval_table

    if episodes < 1:
        raise click.BadParameter("must be >= 1", param_hint="--episodes")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # progress bars and logs must not mix with the JSON
            result: dict[str, Any] = evaluate_target(target, env=env, episodes=episodes, split=split, seed=seed,
                                                     env_kwargs=parse_key_values(env_opts, "env option"),
                                                     progress=progress)
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    Console(stderr=True).print(eval_table(result, title=f"{result.get('env_id', env)} · {split} · {target}"))
    click.echo(json.dumps(json_safe(result), indent=2, default=str))
