"""Evaluate an agent on held-out tasks: success rate with a Wilson 95% interval, on the plain env (no feedback).

Episodes are seeded deterministically (episode ``k`` resets with ``seed + k``), so two agents evaluated with the
same arguments see the same tasks, whatever ``num_envs`` is. Envs are stepped in lock-step batches so an LLM agent
generates for all running episodes at once.

This module is torch-free; the agent brings its own model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT, Agent, ConversationTracker
from rrm_gym.agents.run.eval_result import EpisodeOutcome, EvalResult, summarise_results, wilson_interval

__all__ = ["EvalResult", "evaluate", "wilson_interval"]


def _make_env(env_id: str | Callable[[], gym.Env], env_kwargs: dict[str, Any], split: str) -> gym.Env:
    """The env asking for ``split`` tasks on every reset (a reset option: envs without splits ignore it)."""
    from rrm_gym.envs.from_id import make_task_env
    from rrm_gym.envs.task_options import TaskOptionsWrapper

    if callable(env_id) and not isinstance(env_id, str):
        return TaskOptionsWrapper(env_id(), {"split": split})
    return make_task_env(env_id, **{**env_kwargs, "split": split})


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
    wrap: Callable[[gym.Env], gym.Env] | None = None,
) -> EvalResult:
    r"""Run ``episodes`` episodes of ``agent`` on the plain env and report its success rate.

    Args:
        agent: Maps a batch of conversations to one action each (e.g. ``policy.as_agent(greedy=True)``).
        env_id: A registered env id (``"rrm/WebWalker-v0"``) or a zero-argument env factory.
        episodes: Number of episodes.
        split: Task split, a reset option (``"test"``: held-out tasks); envs without splits ignore it.
        seed: Episode ``k`` resets with ``seed + k``.
        num_envs: Episodes run side by side (one agent call per step for all of them).
        env_kwargs: Extra ``gym.make`` arguments; ``difficulty`` / ``task_id`` among them are reset options.
        progress: Show a progress bar.
        max_steps_per_episode: Safety cap for envs without a time limit (the episode counts as failed).
        system_prompt: System message of the agent's conversations.
        wrap: Wraps each env, e.g. in a :class:`~rrm_gym.wrappers.CritiqueObservationWrapper` for critiques at
            inference: a refinement starts a fresh conversation from the observation that holds the critique,
            and the result gets a ``critique`` block (success at attempt 1 and after the refinement, fixed and
            broke; see :class:`~rrm_gym.agents.run.eval_result.EvalResult`).

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
    envs = [_make_env(env_id, dict(env_kwargs or {}), split) for _ in range(width)]
    if wrap is not None:
        envs = [wrap(env) for env in envs]
    make = getattr(agent, "make_tracker", None)
    tracker = make(width) if callable(make) else ConversationTracker(width, system_prompt=system_prompt,
                                                                      max_turns_kept=None)
    uses_infos = bool(getattr(agent, "uses_infos", False))
    slot_episode: list[int | None] = [None] * width
    slot_return = [0.0] * width
    slot_steps = [0] * width
    slot_task: list[str] = [""] * width
    slot_attempt = [1] * width
    slot_first: list[bool | None] = [None] * width  # attempt 1's success, once a refinement has started
    next_episode = 0
    results: list[EpisodeOutcome] = []

    def start(slot: int) -> None:
        nonlocal next_episode
        if next_episode >= episodes:
            slot_episode[slot] = None
            return
        env = envs[slot]
        obs, info = env.reset(seed=seed + next_episode)
        tracker.start(slot, obs, info)
        slot_episode[slot], slot_return[slot], slot_steps[slot] = next_episode, 0.0, 0
        slot_attempt[slot], slot_first[slot] = 1, None
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
                    first = (slot_first[slot] if slot_attempt[slot] > 1 else success) if wrap is not None else None
                    results.append(EpisodeOutcome(slot_task[slot], success, slot_return[slot], slot_steps[slot],
                                                  first, slot_attempt[slot]))
                    if bar is not None:
                        bar.advance()
                    start(slot)
                elif wrap is not None and int(info.get("attempt", slot_attempt[slot])) != slot_attempt[slot]:
                    # a refinement began: a fresh conversation from the observation that holds the critique
                    if slot_attempt[slot] == 1:
                        slot_first[slot] = bool((info.get("previous") or {}).get("is_success"))
                    slot_attempt[slot] = int(info["attempt"])
                    tracker.start(slot, obs, info)
                else:
                    tracker.add_turn(slot, action, obs, info)
    finally:
        if bar is not None:
            bar.stop()
        for env in envs:
            env.close()
    return summarise_results(results, env_id, split)


def _progress(enabled: bool, total: int, env_id: Any) -> Any:
    if not enabled:
        return None
    from rrm_gym.agents.run.eval_progress import EvalProgress

    return EvalProgress(f"eval {env_id if isinstance(env_id, str) else 'env'}", total)
