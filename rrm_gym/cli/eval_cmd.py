"""``rrm-gym eval RUN_DIR_OR_MODEL``: held-out success rate with a 95% interval, JSON on stdout.

``--feedback critique`` evaluates with critiques at inference (Reagent-C) and, for a run directory, also writes the
result to ``RUN_DIR/eval_critique.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from rrm_gym.cli.errors import InputError
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
@click.option("--feedback", type=click.Choice(["none", "critique"]), default="none",
              help="critique: after each first attempt the judge critiques it and the agent tries once more "
                   "(Reagent-C at inference).")
@click.option("--judge", "judge_name", default=None,
              help="Judge for --feedback critique [default: the run's judge, else reference].")
@click.option("--judge-opt", "judge_opts", multiple=True, metavar="KEY=VALUE",
              help="Judge option, repeatable [default: the run's, for the run's judge].")
def eval_cmd(target: str, env: str | None, episodes: int, split: str, seed: int, env_opts: tuple[str, ...],
             progress: bool, feedback: str, judge_name: str | None, judge_opts: tuple[str, ...]) -> None:
    """Evaluate TARGET: a run directory (its latest checkpoint), a checkpoint, or a model path / hub id.

    Prints the result as JSON on stdout (success_rate, ci_low, ci_high, mean_reward, mean_steps, episodes,
    per_task, ...) and a short table on stderr. With --feedback critique, success_rate is the success after the
    refinement, and a "critique" block adds success at attempt 1, how many answers the refinement fixed and broke,
    and the judge's failures; for a run directory the result is also written to RUN_DIR/eval_critique.json.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see `rrm-gym train`
    from rich.console import Console

    from rrm_gym.agents.run.eval_run import evaluate_target
    from rrm_gym.report.metrics import json_safe
    from rrm_gym.report.summary import eval_table

    if episodes < 1:
        raise click.BadParameter("must be >= 1", param_hint="--episodes")
    if feedback == "none" and (judge_name or judge_opts):
        raise InputError("--judge and --judge-opt are for --feedback critique")
    opts = parse_key_values(judge_opts, "judge option") if judge_opts else None
    try:
        with contextlib.redirect_stdout(sys.stderr):  # progress bars and logs must not mix with the JSON
            result: dict[str, Any] = evaluate_target(target, env=env, episodes=episodes, split=split, seed=seed,
                                                     env_kwargs=parse_key_values(env_opts, "env option"),
                                                     progress=progress, feedback=feedback, judge=judge_name,
                                                     judge_opts=opts)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from exc
    console = Console(stderr=True)
    console.print(eval_table(result, title=f"{result.get('env_id', env)} · {split} · {target}"))
    if feedback == "critique" and result.get("kind") == "run":
        from rrm_gym.agents.run.eval_run import resolve_target

        run_dir = resolve_target(target)[2]
        if run_dir is not None:
            path = Path(run_dir) / "eval_critique.json"
            path.write_text(json.dumps(json_safe(result), indent=2, default=str), encoding="utf-8")
            console.print(f"Wrote {path}")
    click.echo(json.dumps(json_safe(result), indent=2, default=str))
