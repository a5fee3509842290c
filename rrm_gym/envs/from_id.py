"""Build an env from an id, asking for tasks the one way: :func:`make_task_env` / :func:`make_task_vec`.

Every place in the library that builds an env from an id (training with every agent, evaluation, ``play``, the SB3
and TRL bridges, distill, the benchmarks) goes through these two functions. They

* accept ``module:Id`` ids of envs registered by a user's module; the module is imported from the current folder
  too (``rrm-gym train --env my_envs:me/Door-v0`` run where ``my_envs.py`` lies, as ``python -m`` would);
* move ``split``, ``difficulty`` and ``task_id`` out of the ``gym.make`` kwargs and pass them as reset options
  (:class:`~rrm_gym.envs.task_options.TaskOptionsWrapper`); a constructor that names ``split`` or ``difficulty``
  as a parameter gets them as kwargs too. An env that knows neither ignores them instead of raising ``TypeError``.

Example:
    >>> import rrm_gym
    >>> env = make_task_env("rrm/WebWalker-v0", split="test", difficulty="easy", max_episode_steps=4)
    >>> info = env.reset(seed=0)[1]
    >>> info["split"], info["difficulty"]
    ('test', 'easy')
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import gymnasium as gym

from rrm_gym.envs.task_options import TaskOptionsWrapper, split_task_kwargs

__all__ = ["make_task_env", "make_task_vec", "import_env_module", "constructor_accepts"]

_CONSTRUCTOR_KEYS = ("split", "difficulty")


def import_env_module(env_id: str) -> None:
    """Import the module of a ``module:Id`` id (also from the current folder); no-op for plain ids."""
    if ":" not in env_id:
        return
    module = env_id.split(":", 1)[0]
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        here = os.getcwd()
        if exc.name != module.split(".")[0] or here in sys.path:
            raise
        sys.path.insert(0, here)  # the user's own module next to where they run rrm-gym
        importlib.import_module(module)


def _creator(env_id: str) -> Callable[..., Any] | None:
    try:
        spec = gym.spec(env_id.split(":", 1)[-1])
    except gym.error.Error:
        return None  # gym.make raises its own, clearer error
    entry = spec.entry_point
    if callable(entry):
        return entry
    try:
        return gym.envs.registration.load_env_creator(str(entry))
    except (ImportError, AttributeError, ValueError):
        return None


def constructor_accepts(env_id: str) -> frozenset[str]:
    """Which of ``split`` / ``difficulty`` the env's constructor names as parameters (``**kwargs`` does not count)."""
    import_env_module(env_id)
    creator = _creator(env_id)
    if creator is None:
        return frozenset()
    try:
        params = inspect.signature(creator).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    named = {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return frozenset(k for k in _CONSTRUCTOR_KEYS if k in named)


def _prepare(env_id: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    import rrm_gym  # noqa: F401  (registers the rrm/* ids)

    import_env_module(env_id)
    make_kwargs, options = split_task_kwargs(kwargs)
    accepted = constructor_accepts(env_id) if options else frozenset()
    make_kwargs.update({k: v for k, v in options.items() if k in accepted})
    return make_kwargs, options


def make_task_env(env_id: str, *, split: str | None = None, difficulty: str | None = None,
                  task_id: str | None = None, **kwargs: Any) -> gym.Env:
    """``gym.make(env_id, **kwargs)`` with ``split`` / ``difficulty`` / ``task_id`` as reset options.

    Args:
        env_id: A registered id or ``module:Id``.
        split: Default task split of every reset (``"train"`` / ``"test"``).
        difficulty: Default difficulty tier of every reset.
        task_id: A task every reset starts (unless a reset asks for another).
        **kwargs: ``gym.make`` kwargs (``max_episode_steps``, constructor options). ``split``, ``difficulty`` and
            ``task_id`` given here are treated like the arguments above.
    """
    kwargs = {**kwargs, **{k: v for k, v in (("split", split), ("difficulty", difficulty),
                                             ("task_id", task_id)) if v is not None}}
    make_kwargs, options = _prepare(env_id, kwargs)
    env = gym.make(env_id, **make_kwargs)
    return TaskOptionsWrapper(env, options) if options else env


def make_task_vec(env_id: str, num_envs: int, *, vectorization_mode: str = "sync",
                  wrappers: Sequence[Callable[[gym.Env], gym.Wrapper]] = (), **kwargs: Any) -> gym.vector.VectorEnv:
    """``gym.make_vec`` of ``num_envs`` copies, each sub-env asking for tasks as :func:`make_task_env` does."""
    make_kwargs, options = _prepare(env_id, dict(kwargs))
    chain = list(wrappers) + ([partial(TaskOptionsWrapper, options=options)] if options else [])
    return gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=vectorization_mode, wrappers=chain,
                        **make_kwargs)
