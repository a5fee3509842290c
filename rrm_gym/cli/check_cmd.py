"""``rrm-gym check ENV_ID``: what an env offers and which commands and modes will work on it (and how to fix it)."""

from __future__ import annotations

import json

import click

from rrm_gym.cli.options import parse_key_values

__all__ = ["check"]

_STYLE = {"yes": "green", "partial": "yellow", "no": "bold red"}


def _table(title: str, rows: list, first: str) -> object:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column(first, style="bold", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("seen")
    table.add_column("the one change that enables it")
    for row in rows:
        table.add_row(row.name, f"[{_STYLE.get(row.status, '')}]{row.status}[/]", row.detail, row.fix)
    return table


@click.command(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.argument("env_id")
@click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE",
              help="Extra gym.make kwarg, repeatable (split, difficulty and task_id are reset options).")
@click.option("--episodes", type=click.IntRange(min=1), default=3, help="Episodes of random candidate actions.")
@click.option("--max-steps", type=click.IntRange(min=1), default=25, help="Step cap per episode.")
@click.option("--seed", type=int, default=0, help="First reset seed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
def check(env_id: str, env_opts: tuple[str, ...], episodes: int, max_steps: int, seed: int, as_json: bool) -> None:
    """Check ENV_ID (a registered id or module:Id of your own env): what it offers and what will work on it.

    Plays the env a few episodes with random candidate actions, runs Gymnasium's check_env, and prints two tables:
    what the env offers (text spaces, question, task replay for C/U, candidate actions, reference data, success
    flag, split option) and which commands and modes will work, each with the one change that enables what is
    missing. Exits with status 1 when no command can use the env.
    """
    from rich.console import Console

    from rrm_gym.cli.errors import InputError
    from rrm_gym.envs.support import check_env_support

    kwargs = parse_key_values(env_opts, "env option")
    try:
        report = check_env_support(env_id, episodes=episodes, max_steps=max_steps, seed=seed, env_kwargs=kwargs)
    except (ImportError, TypeError, ValueError) as exc:
        raise InputError(f"cannot build {env_id}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # gymnasium.error.Error for an unknown id, or the env's constructor failing
        raise InputError(f"cannot build {env_id}: {exc}") from exc
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        console = Console()
        console.print(_table(f"{env_id}: what it offers", report.offers, "offers"))
        console.print(_table(f"{env_id}: what works", report.works, "command / mode"))
    if not report.usable:
        raise SystemExit(1)
