"""``HoldWrapper``: lets a vector-env learner leave one sub-env untouched for a step.

Gymnasium vector envs step every sub-env on every ``step``. A learner that plays rounds (GRPO: every sub-env plays
the same task once, and sub-envs that finish early wait for the others) still has to send the waiting ones an
action; any text would be a real step of a new episode, judged and logged like one. Sending :data:`HOLD` instead
makes this wrapper return the sub-env's last observation without stepping it: reward 0, not done, and
``info["held"] = True``, which the feedback wrappers and the episode log skip. A held step is not an env step.

Under ``NEXT_STEP`` autoreset the first step after an episode ends resets the sub-env whatever the action; holding
starts from there. :func:`rrm_gym.wrappers.make_vector_env` puts this wrapper on every sub-env.

Example:
    >>> import gymnasium as gym, rrm_gym
    >>> env = HoldWrapper(gym.make("rrm/WebWalker-v0"))
    >>> obs, info = env.reset(seed=0)
    >>> held = env.step(HOLD)
    >>> held[0] == obs, held[1], held[4]["held"]
    (True, 0.0, True)
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

__all__ = ["HOLD", "HoldWrapper"]

HOLD = "\x00rrm-gym:hold\x00"
"""The action that holds a sub-env (no printable agent text equals it)."""


class HoldWrapper(gym.Wrapper):
    """Return the last observation instead of stepping when the action is :data:`HOLD`."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self._last: tuple[Any, dict[str, Any]] | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset and remember the observation."""
        obs, info = self.env.reset(seed=seed, options=options)
        self._last = (obs, info)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Step, or hold on :data:`HOLD`."""
        if isinstance(action, str) and action == HOLD:
            if self._last is None:
                raise gym.error.ResetNeeded("call reset() before step()")
            obs, info = self._last
            return obs, 0.0, False, False, {**info, "held": True}
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._last = (obs, info)
        return obs, reward, terminated, truncated, info
