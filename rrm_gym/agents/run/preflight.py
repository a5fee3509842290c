"""Before any model is loaded: check that the run's env can do what the run asks (one sentence when it cannot).

``rrm-gym train`` / ``compare`` (through :func:`~rrm_gym.agents.run.runner.run_training`) and ``rrm-gym eval`` call
:func:`check_run_env`. It plays the env one short episode of random candidate actions
(:func:`rrm_gym.check_env_support`, without Gymnasium's slower checker) and raises
:class:`~rrm_gym.agents.run.validate.ConfigError` (one sentence) when the spaces are not text, the env crashes, C/U
are asked of an env that cannot replay a task, or SB3 of an env without candidate actions. ``rrm-gym check ENV_ID``
shows the full table. (The run's other settings are checked by :mod:`rrm_gym.agents.run.run_checks`.)
"""

from __future__ import annotations

from typing import Any

from rrm_gym.agents.run.validate import ConfigError
from rrm_gym.envs.support import EnvSupport, EnvSupportError, check_env_support

__all__ = ["check_run_env", "check_env_for"]

_STEPS = 25


def check_env_for(env_id: str, env_kwargs: dict[str, Any] | None = None, *, feedback: str = "none",
                  agent: str | None = None, action_mode: str = "choose", seed: int = 0) -> EnvSupport:
    """Quick-check ``env_id``; raise :class:`~rrm_gym.agents.run.validate.ConfigError` if the settings cannot work."""
    support = check_env_support(env_id, episodes=1, max_steps=_STEPS, seed=seed, gym_check=False,
                                env_kwargs=env_kwargs)
    try:
        support.require(feedback=feedback, agent=agent, action_mode=action_mode)
    except EnvSupportError as exc:
        raise ConfigError(str(exc)) from None
    return support


def check_run_env(config: Any) -> EnvSupport:
    """:func:`check_env_for` with a :class:`~rrm_gym.agents.run.config.TrainConfig`'s env, feedback and agent."""
    return check_env_for(config.env, config.env_kwargs_resolved(), feedback=config.feedback, agent=config.agent,
                         action_mode=config.action_mode, seed=config.seed)
