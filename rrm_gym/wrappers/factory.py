"""``make_env`` / ``make_vector_env``: an env id, a feedback mode and a judge in one call."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.vector import VectorEnv

from rrm_gym.envs.from_id import make_task_env, make_task_vec
from rrm_gym.envs.task_options import TaskOptionsWrapper, split_task_kwargs
from rrm_gym.judges.base import Judge

__all__ = ["FEEDBACK_MODES", "make_env", "make_vector_env", "resolve_judge"]

FEEDBACK_MODES = ("none", "critique", "reward", "unified")


def resolve_judge(judge: str | Judge, judge_kwargs: dict[str, Any] | None = None) -> Judge:
    """A judge callable from a name for :func:`rrm_gym.judges.make` or a callable."""
    if isinstance(judge, str):
        from rrm_gym.judges import make

        return make(judge, **(judge_kwargs or {}))
    if not callable(judge):
        raise TypeError(f"judge must be a name or a callable, got {judge!r}")
    return judge


def _with_task_options(env: gym.Env, env_kwargs: dict[str, Any]) -> gym.Env:
    """A given env with the task options (split, difficulty, task_id) of ``env_kwargs`` on every reset."""
    _, options = split_task_kwargs(env_kwargs)
    return TaskOptionsWrapper(env, options) if options else env


def _check_feedback(feedback: str) -> None:
    if feedback not in FEEDBACK_MODES:
        raise ValueError(f"feedback must be one of {FEEDBACK_MODES}, got {feedback!r}")


def make_env(
    env: str | gym.Env,
    feedback: str = "unified",
    judge: str | Judge = "reference",
    *,
    lam: float = 0.3,
    max_refinements: int = 1,
    on_error: str = "neutral",
    refine: str = "always",
    judge_kwargs: dict[str, Any] | None = None,
    **env_kwargs: Any,
) -> gym.Env:
    """Build an env (by id or given) wrapped with C, R, U feedback or none.

    ``env_kwargs`` are ``gym.make`` kwargs; ``split``, ``difficulty`` and ``task_id`` among them are passed as
    reset options (:func:`rrm_gym.envs.from_id.make_task_env`), so envs that do not know them ignore them.

    ``refine`` is the refinement policy of C and U (``"always"`` or ``"on_failure"``; see
    :class:`~rrm_gym.wrappers.CritiqueObservationWrapper`).

    Example:
        >>> import rrm_gym
        >>> env = make_env("rrm/WebWalker-v0", feedback="reward", judge="reference", difficulty="easy")
        >>> type(env).__name__
        'ShapedRewardWrapper'
    """
    from rrm_gym.wrappers.critique import CritiqueObservationWrapper
    from rrm_gym.wrappers.reward import ShapedRewardWrapper
    from rrm_gym.wrappers.unified import UnifiedWrapper

    _check_feedback(feedback)
    base = make_task_env(env, **env_kwargs) if isinstance(env, str) else _with_task_options(env, env_kwargs)
    if feedback == "none":
        return base
    j = resolve_judge(judge, judge_kwargs)
    if feedback == "reward":
        return ShapedRewardWrapper(base, j, lam=lam, on_error=on_error)
    if feedback == "critique":
        return CritiqueObservationWrapper(base, j, max_refinements=max_refinements, on_error=on_error, refine=refine)
    return UnifiedWrapper(base, j, lam=lam, max_refinements=max_refinements, on_error=on_error, refine=refine)


def make_vector_env(
    env_id: str,
    num_envs: int,
    feedback: str = "unified",
    judge: str | Judge = "reference",
    *,
    vectorization_mode: str = "sync",
    lam: float = 0.3,
    max_refinements: int = 1,
    on_error: str = "neutral",
    refine: str = "always",
    judge_kwargs: dict[str, Any] | None = None,
    **env_kwargs: Any,
) -> VectorEnv:
    """Build a ``gymnasium.vector`` env of ``num_envs`` copies wrapped with batched C, R, U feedback or none.

    ``env_kwargs`` as in :func:`make_env` (``split``, ``difficulty``, ``task_id`` become reset options).

    ``refine`` is the refinement policy of C and U (``"always"`` or ``"on_failure"``).

    Example:
        >>> import rrm_gym
        >>> envs = make_vector_env("rrm/WebWalker-v0", 2, feedback="unified", judge="reference")
        >>> envs.num_envs
        2
    """
    from rrm_gym.wrappers.episode_seed import EpisodeSeedWrapper
    from rrm_gym.wrappers.hold import HoldWrapper
    from rrm_gym.wrappers.vector import CritiqueObservationWrapper, ShapedRewardWrapper, UnifiedWrapper

    _check_feedback(feedback)
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    if vectorization_mode not in ("sync", "async"):
        raise ValueError(f"vectorization_mode must be 'sync' or 'async', got {vectorization_mode!r}")
    envs = make_task_vec(env_id, num_envs, vectorization_mode=vectorization_mode,
                         wrappers=[EpisodeSeedWrapper, HoldWrapper],
                         **env_kwargs)
    if feedback == "none":
        return envs
    j = resolve_judge(judge, judge_kwargs)
    if feedback == "reward":
        return ShapedRewardWrapper(envs, j, lam=lam, on_error=on_error)
    if feedback == "critique":
        return CritiqueObservationWrapper(envs, j, max_refinements=max_refinements, on_error=on_error, refine=refine)
    return UnifiedWrapper(envs, j, lam=lam, max_refinements=max_refinements, on_error=on_error, refine=refine)
