"""Evaluate an agent on held-out tasks: success rate with a Wilson 95% interval, on the plain env (no feedback).

Episodes are seeded deterministically (episode ``k`` resets with ``seed + k``), so two agents evaluated with the
same arguments see the same tasks, whatever ``num_envs`` is. Envs are stepped in lock-step batches so an LLM agent
generates for all running episodes at once.

This module is torch-free; the agent brings its own model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT, Agent, ConversationTracker

__all__ = ["EvalResult", "evaluate", "wilson_interval"]


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% by default).

    Example:
        >>> lo, hi = wilson_interval(5, 10)
        >>> round(lo, 3), round(hi, 3)
        (0.237, 0.763)
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


@dataclass
class EvalResult:
    """Result of :func:`evaluate`.

    Attributes:
        success_rate: Fraction of episodes that succeeded (``info["is_success"]``, else total reward > 0).
        ci_low: Lower end of the Wilson 95% interval of the success rate.
        ci_high: Upper end of the Wilson 95% interval.
        mean_reward: Mean total env reward per episode.
        episodes: Number of episodes run.
        per_task: ``task_id -> {"episodes", "successes", "success_rate", "mean_reward"}``.
        mean_steps: Mean number of agent steps per episode.
        env_id: The env evaluated on.
        split: The task split used.

    Example:
        >>> EvalResult(0.5, 0.2, 0.8, 0.5, 10).to_dict()["episodes"]
        10
    """

    success_rate: float
    ci_low: float
    ci_high: float
    mean_reward: float
    episodes: int
    per_task: dict[str, dict[str, float]] = field(default_factory=dict)
    mean_steps: float = 0.0
    env_id: str = ""
    split: str = "test"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (what ``rrm-gym eval`` prints)."""
        return asdict(self)


def _make_env(env_id: str | Callable[[], gym.Env], env_kwargs: dict[str, Any]) -> gym.Env:
    if callable(env_id) and not isinstance(env_id, str):
        return env_id()
    import rrm_gym  # noqa: F401  (registers the rrm/* ids)

    return gym.make(env_id, **env_kwargs)


def _reset_options(env: gym.Env, split: str) -> dict[str, Any] | None:
    from rrm_gym.envs.base import TextEnv

    return {"split": split} if isinstance(env.unwrapped, TextEnv) else None


def evaluate(
    agent: Agent,
    env_id: str | Callable[[], gym.Env],
    episodes: int = 50,
    split: str = "test",
    seed: int = 0,
    num_envs: int = 8,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    max_steps_per_episode: int = 50,
    system_prompt: str | None = SYSTEM_PROMPT_AGENT,
) -> EvalResult:
    r"""Run ``episodes`` episodes of ``agent`` on the plain env and report its success rate.

    Args:
        agent: Maps a batch of conversations to one action each (e.g. ``policy.as_agent(greedy=True)``).
        env_id: A registered env id (``"rrm/WebWalker-v0"``) or a zero-argument env factory.
        episodes: Number of episodes.
        split: Task split for ``rrm/*`` envs (``"test"``: held-out tasks); foreign envs ignore it.
        seed: Episode ``k`` resets with ``seed + k``.
        num_envs: Episodes run side by side (one agent call per step for all of them).
        env_kwargs: Extra ``gym.make`` arguments (e.g. ``{"difficulty": "easy"}``).
        progress: Show a progress bar.
        max_steps_per_episode: Safety cap for envs without a time limit (the episode counts as failed).
        system_prompt: System message of the agent's conversations.

    Returns:
        The :class:`EvalResult`.

    Example:
        >>> res = evaluate(lambda convs: ["\\boxed{?}"] * len(convs), "rrm/WebWalker-v0", episodes=2,
        ...                progress=False)  # doctest: +SKIP
        >>> 0.0 <= res.success_rate <= 1.0  # doctest: +SKIP
        True
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    width = min(num_envs, episodes)
    envs = [_make_env(env_id, dict(env_kwargs or {})) for _ in range(width)]
    make = getattr(agent, "make_tracker", None)
    tracker = make(width) if callable(make) else ConversationTracker(width, system_prompt=system_prompt,
                                                                      max_turns_kept=None)
    uses_infos = bool(getattr(agent, "uses_infos", False))
    slot_episode: list[int | None] = [None] * width
    slot_return = [0.0] * width
    slot_steps = [0] * width
    slot_task: list[str] = [""] * width
    next_episode = 0
    results: list[tuple[str, bool, float, int]] = []

    def start(slot: int) -> None:
        nonlocal next_episode
        if next_episode >= episodes:
            slot_episode[slot] = None
            return
        env = envs[slot]
        obs, info = env.reset(seed=seed + next_episode, options=_reset_options(env, split))
        tracker.start(slot, obs, info)
        slot_episode[slot], slot_return[slot], slot_steps[slot] = next_episode, 0.0, 0
        slot_task[slot] = str(info.get("task_id", f"episode-{next_episode}"))
        next_episode += 1

    bar = _progress(progress, episodes, env_id)
    try:
        for slot in range(width):
            start(slot)
        while any(e is not None for e in slot_episode):
            active = [s for s in range(width) if slot_episode[s] is not None]
            convs = tracker.conversations()
            if uses_infos:
                infos = tracker.infos()
                actions = list(agent([convs[s] for s in active], [infos[s] for s in active]))
            else:
                actions = list(agent([convs[s] for s in active]))
            if len(actions) != len(active):
                raise ValueError(f"the agent returned {len(actions)} actions for {len(active)} conversations")
            for slot, action in zip(active, actions, strict=True):
                obs, reward, terminated, truncated, info = envs[slot].step(action)
                slot_return[slot] += float(reward)
                slot_steps[slot] += 1
                truncated = truncated or slot_steps[slot] >= max_steps_per_episode
                if terminated or truncated:
                    success = bool(info.get("is_success", slot_return[slot] > 0)) and bool(terminated)
                    results.append((slot_task[slot], success, slot_return[slot], slot_steps[slot]))
                    if bar is not None:
                        bar[0].update(bar[1], advance=1)
                    start(slot)
                else:
                    tracker.add_turn(slot, action, obs, info)
    finally:
        if bar is not None:
            bar[0].stop()
        for env in envs:
            env.close()
    return _summarise(results, env_id, split)


def _progress(enabled: bool, total: int, env_id: Any) -> Any:
    if not enabled:
        return None
    from rich.progress import Progress

    prog = Progress(transient=False)
    prog.start()
    return prog, prog.add_task(f"eval {env_id if isinstance(env_id, str) else 'env'}", total=total)


def _summarise(results: list[tuple[str, bool, float, int]], env_id: Any, split: str) -> EvalResult:
    n = len(results)
    wins = sum(1 for _, ok, _, _ in results if ok)
    low, high = wilson_interval(wins, n)
    per_task: dict[str, dict[str, float]] = {}
    for task, ok, ret, _ in results:
        row = per_task.setdefault(task, {"episodes": 0, "successes": 0, "success_rate": 0.0, "mean_reward": 0.0})
        row["episodes"] += 1
        row["successes"] += int(ok)
        row["mean_reward"] += ret
    for row in per_task.values():
        row["success_rate"] = row["successes"] / row["episodes"]
        row["mean_reward"] = row["mean_reward"] / row["episodes"]
    return EvalResult(
        success_rate=wins / n if n else 0.0,
        ci_low=low,
        ci_high=high,
        mean_reward=sum(r for _, _, r, _ in results) / n if n else 0.0,
        episodes=n,
        per_task=per_task,
        mean_steps=sum(s for *_, s in results) / n if n else 0.0,
        env_id=env_id if isinstance(env_id, str) else getattr(env_id, "__name__", "env"),
        split=split,
    )
