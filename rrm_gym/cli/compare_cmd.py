"""``rrm-gym compare``: train a grid of feedback modes × seeds and compare them (:mod:`rrm_gym.agents.run.compare`)."""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any

import click

from rrm_gym.cli.errors import InputError
from rrm_gym.cli.invocation import command_prefix
from rrm_gym.cli.train_options import collect_overrides, train_options

__all__ = ["compare"]

_MODES = ("none", "critique", "reward", "unified")


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in _MODES]
    if bad or not modes:
        raise click.BadParameter(f"feedback modes must be a comma list of {', '.join(_MODES)}; got {text!r}")
    return list(dict.fromkeys(modes))


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"seeds must be a comma list of integers, got {text!r}") from None
    if not seeds:
        raise click.BadParameter("give at least one seed")
    return list(dict.fromkeys(seeds))


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.option("--feedback", "feedbacks", default="none,critique,reward,unified", help="Feedback modes, comma list.")
@click.option("--seeds", default="0,1,2", help="Seeds, comma list: one run per mode and seed.")
@click.option("--target", type=float, default=None,
              help="First-attempt training success for steps-to-target [default: what `none` reaches at the end].")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Grid directory (one run dir per cell).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML or TOML file of train settings; command-line flags override it.")
@train_options(exclude=("feedback", "seed", "out", "progress"))
@click.pass_context
def compare(ctx: click.Context, feedbacks: str, seeds: str, target: float | None, out: str,
            config_file: str | None, **params: Any) -> None:
    """Train every feedback mode with every seed and compare them: does RRM feedback help?

    Each cell is an ordinary run directory OUT/<mode>-seed<k> (`rrm-gym eval` and its report.html work on it),
    run one after another; rerunning the same command skips finished cells and resumes an interrupted one.
    Writes OUT/compare.csv (one row per cell), compare.md (per mode: mean ± 95% CI over seeds, gain over none,
    env steps to the target relative to none), compare.png (learning curves) and compare.html. Takes every
    `rrm-gym train` option.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from rich.console import Console

    from rrm_gym.agents.run.compare import run_grid, write_outputs
    from rrm_gym.agents.run.config import TrainConfig, load_config_file
    from rrm_gym.agents.run.run_checks import check_settings
    from rrm_gym.agents.run.validate import ConfigError
    from rrm_gym.envs.support import EnvSupportError

    modes, seed_list = _modes(feedbacks), _seeds(seeds)
    overrides = collect_overrides(ctx, params)
    try:
        file_values = load_config_file(config_file) if config_file else {}
        for mode in modes:  # check every cell's settings before the first run starts (or OUT is made)
            check_settings(TrainConfig.from_sources(file_values, {**overrides, "feedback": mode, "seed": seed_list[0]}))
    except (ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from exc
    console = Console()
    command = f"{command_prefix()} compare " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    try:
        cells = run_grid(overrides, modes, seed_list, out, console=console, config_file=file_values)
    except (ConfigError, EnvSupportError) as exc:
        raise InputError(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo(f"\nInterrupted. Run the same command again to continue: {command}", err=True)
        sys.exit(130)
    env = overrides.get("env", file_values.get("env", "rrm/WebWalker-v0"))
    agent = overrides.get("agent", file_values.get("agent", "ppo"))
    summary = write_outputs(cells, out, title=f"Does RRM feedback help? {env} · {agent}", command=command,
                            target=target)
    from rich.table import Table

    table = Table(title="Feedback modes (mean over seeds, held-out success after training)")
    for col in ("mode", "seeds", "before", "after ± 95% CI", "gain over none", "steps to target vs none"):
        table.add_column(col, justify="right" if col != "mode" else "left")
    for s in summary:
        ci = "" if s["success_after_ci"] != s["success_after_ci"] else f" ± {100 * s['success_after_ci']:.1f}"
        gain = "–" if s["gain_over_none"] != s["gain_over_none"] else f"{100 * s['gain_over_none']:+.1f} pts"
        ratio = "–" if s["steps_vs_none"] != s["steps_vs_none"] else f"{s['steps_vs_none']:.2f}×"
        table.add_row(s["feedback"], str(s["seeds"]), f"{100 * s['success_before']:.1f}%",
                      f"{100 * s['success_after']:.1f}%{ci}", gain, ratio)
    console.print(table)
    console.print(f"Wrote {out}/compare.csv, compare.md, compare.png, compare.html")
