"""``rrm-gym envs``: the registered env ids with one-line descriptions."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

__all__ = ["envs"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--verbose", "-v", is_flag=True,
              help="One block per env with its tools, reward rule and loadable benchmarks.")
def envs(as_json: bool, verbose: bool) -> None:
    """List the rrm/* environments."""
    import rrm_gym  # noqa: F401 - registers the envs
    from rrm_gym.envs import list_envs

    infos = list_envs()
    if as_json:
        click.echo(json.dumps([vars(i) for i in infos], indent=2))
        return
    console = Console()
    if verbose:  # one block per env: five columns of prose do not fit a terminal
        console.print(f"[bold]rrm-gym environments ({len(infos)})[/bold]")
        for info in infos:
            block = Table.grid(padding=(0, 1))
            block.add_column(style="dim", no_wrap=True)
            block.add_column()
            for label, value in (("", info.description), ("tools", info.tools), ("reward", info.reward),
                                 ("loads", info.loads)):
                if value:
                    block.add_row(f"  {label}", value)
            console.print()
            console.print(f"[bold cyan]{info.env_id}[/bold cyan]", highlight=False)
            console.print(block)
        return
    table = Table(title=f"rrm-gym environments ({len(infos)})", show_lines=False)
    table.add_column("id", style="bold cyan", no_wrap=True)
    table.add_column("description")
    for info in infos:
        table.add_row(info.env_id, info.description)
    console.print(table)
