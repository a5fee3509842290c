"""Task options: the one way to ask any env for a split, a difficulty or a task.

A split (``"train"`` / ``"test"``), a difficulty tier and a task id are **reset options**
(``env.reset(options={"split": "test"})``), never constructor kwargs an env may not accept. Every ``rrm/*`` env reads
them; a foreign env that does not know them simply ignores them (Gymnasium's ``options`` are env-specific), so the
request degrades to "the env's own tasks" instead of a ``TypeError``. :class:`TaskOptionsWrapper` adds the options
to every reset of an env (under the caller's own options, so ``{"task_id": ...}`` from a refinement still wins);
:func:`split_task_kwargs` takes them out of a ``gym.make`` kwargs dict. :func:`rrm_gym.envs.from_id.make_task_env`
builds an env from an id with both.

Example:
    >>> split_task_kwargs({"difficulty": "easy", "max_episode_steps": 4})
    ({'max_episode_steps': 4}, {'difficulty': 'easy'})
    >>> task_options(split="test", difficulty=None)
    {'split': 'test'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium as gym

__all__ = ["TASK_OPTION_KEYS", "task_options", "split_task_kwargs", "TaskOptionsWrapper"]

TASK_OPTION_KEYS = ("split", "difficulty", "task_id")
"""Keys that ask for tasks: passed as reset options, never as constructor kwargs an env does not accept."""


def task_options(split: str | None = None, difficulty: str | None = None, task_id: str | None = None) -> dict[str, Any]:
    """The reset options that ask for ``split``, ``difficulty`` and ``task_id`` (unset ones are left out)."""
    values = {"split": split, "difficulty": difficulty, "task_id": task_id}
    return {k: v for k, v in values.items() if v is not None}


def split_task_kwargs(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(make_kwargs, task options)``: the :data:`TASK_OPTION_KEYS` of ``kwargs`` (not ``None``) moved out."""
    make = {k: v for k, v in kwargs.items() if k not in TASK_OPTION_KEYS}
    options = {k: kwargs[k] for k in TASK_OPTION_KEYS if kwargs.get(k) is not None}
    return make, options


class TaskOptionsWrapper(gym.Wrapper):
    """Pass default task options (split, difficulty, task id) to every ``reset``; the caller's options win.

    Args:
        env: Any env.
        options: Default reset options, e.g. ``{"split": "test"}``.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> env = TaskOptionsWrapper(gym.make("rrm/WebWalker-v0"), {"split": "test"})
        >>> env.reset(seed=0)[1]["split"]
        'test'
    """

    def __init__(self, env: gym.Env, options: Mapping[str, Any]) -> None:
        super().__init__(env)
        self.task_options = dict(options)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset with the default task options under ``options``."""
        merged = {**self.task_options, **(options or {})}
        return self.env.reset(seed=seed, options=merged or None)
