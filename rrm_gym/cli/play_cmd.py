"""``rrm-gym play ENV_ID``: a person plays an env in the terminal (optionally with judge feedback)."""

from __future__ import annotations

import click
from rich.console import Console

from rrm_gym.cli.options import judge_options, parse_key_values

__all__ = ["play"]

_HELP = "Type an action, a number to pick a listed action, ':actions' to list them, ':quit' to stop."


@click.command()
@click.argument("env_id")
@click.option("--seed", type=int, default=None, help="Seed of the first episode.")
@click.option("--episodes", type=int, default=1, show_default=True, help="Episodes to play.")
@click.option("--feedback", type=click.Choice(["none", "critique", "reward", "unified"]), default="none",
              show_default=True, help="Wrap the env with judge feedback.")
@click.option("--refine", type=click.Choice(["always", "on_failure"]), default="always", show_default=True,
              help="critique/unified: refine every attempt (Reagent-U training) or only attempts that failed.")
@judge_options
@click.option("--env-opt", "env_opts", multiple=True, metavar="KEY=VALUE", help="Env constructor option.")
def play(env_id: str, seed: int | None, episodes: int, feedback: str, refine: str, judge_name: str,
         judge_opts: tuple[str, ...], env_opts: tuple[str, ...]) -> None:
    """Play ENV_ID yourself: read observations, type actions.

    With --feedback critique or unified, an attempt that ends is judged and, with --refine always (the default,
    as in training), refined even when it was correct; the episode's success is the last attempt's. The screen
    says after every attempt whether it was correct.
    """
    import rrm_gym  # noqa: F401
    from rrm_gym.agents.run.preflight import check_env_for
    from rrm_gym.cli.errors import InputError
    from rrm_gym.cli.play_view import attempt_verdict, judge_panel, observation_panel
    from rrm_gym.wrappers import make_env

    console = Console()
    env_kwargs = parse_key_values(env_opts, "env option")
    try:  # text spaces, and a task replay under C/U: said in one sentence before the env is played
        check_env_for(env_id, env_kwargs, feedback=feedback)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    env = make_env(env_id, feedback=feedback, judge=judge_name, judge_kwargs=parse_key_values(judge_opts),
                   refine=refine, **env_kwargs)
    console.print(f"[dim]{_HELP}[/dim]")
    try:
        for episode in range(episodes):
            obs, info = env.reset(seed=None if seed is None else seed + episode)
            total, done = 0.0, False
            console.print(observation_panel(obs, f"episode {episode + 1} · task {info.get('task_id', '-')}"))
            while not done:
                actions = list(info.get("valid_actions") or [])
                try:
                    line = click.prompt("action", default="", show_default=False, prompt_suffix="> ")
                except click.Abort:
                    return
                if line.strip() == ":quit":
                    return
                if line.strip() == ":actions":
                    for i, a in enumerate(actions, 1):
                        console.print(f"  {i}. {a}")
                    continue
                if line.strip().isdigit() and 1 <= int(line) <= len(actions):
                    line = actions[int(line) - 1]
                obs, reward, term, trunc, info = env.step(line)
                total += float(reward)
                done = bool(term or trunc)
                title = f"reward {float(reward):+.3f} · total {total:+.3f} · attempt {info.get('attempt', 1)}"
                verdict = attempt_verdict(info, done, refine) if feedback in ("critique", "unified") else None
                if verdict:
                    console.print(f"[bold]{verdict}[/bold]", highlight=False)
                if "rrm" in info:
                    console.print(judge_panel(info["rrm"]))
                console.print(observation_panel(obs, title))
            counts = f" (attempt {info.get('attempt', 1)}'s)" if feedback in ("critique", "unified") else ""
            console.print(f"[bold]episode over[/bold]: success={info.get('is_success')}{counts} "
                          f"total reward={total:.3f}")
    finally:
        env.close()
