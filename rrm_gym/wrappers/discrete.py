"""``DiscreteActionWrapper``: a ``Discrete(K)`` view of a text env's ``info["valid_actions"]`` for classic learners.

Index ``i`` means "send ``valid_actions[i]`` to the env as it is". :meth:`DiscreteActionWrapper.action_masks` says
which indices mean something right now; sb3-contrib's ``MaskablePPO`` finds it by name (``get_wrapper_attr`` on a
single env, ``env_method("action_masks")`` on a vec env), so no ``ActionMasker`` is needed.

Wrapper order with the feedback wrappers (C/R/U): put this wrapper **above** them::

    TextEncoderWrapper(DiscreteActionWrapper(UnifiedWrapper(gym.make(env_id), judge)))

so the feedback wrapper records the real action text (the judge reads "click: Admissions", not "3") and the
critique observation of a refinement reaches the policy. After a refinement the feedback wrapper returns the new
attempt's reset info, and this wrapper takes the next action list from it like from any other step. Below a
feedback wrapper it still works (the text actually sent is in ``info["action_text"]``), but the judge then sees
indices.

Final answers: QA envs list moves (clicks, ``back:``) in ``valid_actions`` but cannot list every possible answer.
``answer_actions`` adds candidate answers as complete action texts (e.g. ``"The fee is 143 euros. \\boxed{143}"``):
from the env's ``answer_actions()`` method when it has one, or from a callable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, SupportsInt

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from rrm_gym.envs.candidates import candidate_actions, is_template

__all__ = ["DiscreteActionWrapper"]

_LIST_LABEL_CHARS = 80
AnswerActions = str | None | Callable[[gym.Env, dict[str, Any]], list[str]]


def _invalid_text(index: Any, n_valid: int) -> str:
    # No colon, tag or \boxed: every rrm env parses this as a malformed action (a wasted step it counts).
    shown = "".join(c for c in str(index)[:40] if c.isalnum() or c in " .-")
    return f"invalid action index {shown} (only {n_valid} actions are available now)"


class DiscreteActionWrapper(gym.Wrapper):
    """Turn a text env with ``info["valid_actions"]`` into a ``Discrete(max_actions)`` env with action masks.

    The first ``max_actions`` entries of ``info["valid_actions"]`` become indices ``0..max_actions-1``; the list is
    refreshed from every reset and step info (an env without that key may offer ``info["candidate_actions"]``
    instead, whose complete actions are used; neither means no actions). ``info["valid_actions"]`` is
    rewritten to the (possibly shortened) list the indices refer to, ``info["action_mask"]`` holds the mask and
    ``info["valid_actions_dropped"]`` counts entries beyond ``max_actions``.

    Final answers: the action list can be extended with candidate answers, each a complete action text such as
    ``"The fee is 143 euros. \\boxed{143}"`` (``answer_actions``). With ``"auto"`` the env's ``answer_actions()``
    method is used when it has one (found through wrappers); a callable ``(env, info) -> list[str]`` gives them
    directly. They are appended after ``info["valid_actions"]`` (duplicates dropped) before the cut to
    ``max_actions``.

    An index that names no action (beyond the current list, negative, not an integer) is a wasted step, not a
    crash: the env receives a malformed action (so time limits count the step), the observation starts with an
    explanation and the list of actions, and ``info["invalid_action"]`` is ``True``. When the env offers no
    actions at all the mask is all ``True`` (a mask with nothing allowed would break masked sampling) and every
    index is such a wasted step.

    Args:
        env: A text env (``str`` observations and actions) that sets ``info["valid_actions"]``.
        max_actions: ``K``, the size of the discrete action space.
        list_actions: Append ``"Actions: [0] ... [1] ..."`` to every observation, for agents that read text.
        answer_actions: ``"auto"``, ``None`` (no answer candidates) or a callable ``(env, info) -> list[str]``.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> env = DiscreteActionWrapper(gym.make("rrm/WebWalker-v0"), max_actions=8)
        >>> obs, info = env.reset(seed=0)
        >>> mask = env.action_masks()
        >>> mask.shape, mask.dtype.name, int(mask.sum()) == len(info["valid_actions"])
        ((8,), 'bool', True)
        >>> obs, reward, terminated, truncated, info = env.step(0)
        >>> info["action_text"] == "click: " + info["page"]
        True
    """

    def __init__(self, env: gym.Env, max_actions: int = 16, *, list_actions: bool = False,
                 answer_actions: AnswerActions = "auto") -> None:
        super().__init__(env)
        if not isinstance(max_actions, int) or isinstance(max_actions, bool) or max_actions < 1:
            raise ValueError(f"max_actions must be a positive int, got {max_actions!r}")
        if not (answer_actions is None or answer_actions == "auto" or callable(answer_actions)):
            raise ValueError(f"answer_actions must be 'auto', None or a callable, got {answer_actions!r}")
        self.answer_source = answer_actions
        self.max_actions = max_actions
        self.list_actions = list_actions
        self.action_space = spaces.Discrete(max_actions)
        self.actions: list[str] = []
        self.invalid_steps = 0

    # ----------------------------------------------------------------- masks
    def action_masks(self) -> np.ndarray:
        """Bool array of shape ``(max_actions,)``: ``True`` where the index names a current action."""
        mask = np.zeros(self.max_actions, dtype=bool)
        if not self.actions:
            mask[:] = True
            return mask
        mask[: len(self.actions)] = True
        return mask

    def action_text(self, index: SupportsInt) -> str | None:
        """The action text an index stands for now, or ``None`` if it names no action."""
        try:
            i = int(index)
        except (TypeError, ValueError, OverflowError):
            return None
        if isinstance(index, float) and not float(index).is_integer():
            return None
        return self.actions[i] if 0 <= i < len(self.actions) else None

    # ----------------------------------------------------------------- gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and read the first action list."""
        obs, info = self.env.reset(seed=seed, options=options)
        info = self._refresh(info)
        return self._observation(obs), info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Send the action text that ``action`` (an index) stands for; a bad index is a wasted step."""
        index = action.item() if isinstance(action, np.ndarray) and action.size == 1 else action
        text = self.action_text(index)
        offered = list(self.actions)
        if text is None:
            self.invalid_steps += 1
            obs, reward, terminated, truncated, info = self.env.step(_invalid_text(index, len(offered)))
            explanation = (f"Action index {str(index)[:40]!r} does not name an available action: there are "
                           f"{len(offered)} now ({self._menu(offered) or 'none'}). The step was wasted.")
            info = {**self._refresh(info), "invalid_action": True, "action_text": None}
            obs = f"{explanation}\n\n{obs}" if isinstance(obs, str) else obs
        else:
            obs, reward, terminated, truncated, info = self.env.step(text)
            info = {**self._refresh(info), "invalid_action": False, "action_text": text}
        return self._observation(obs), reward, terminated, truncated, info

    # ----------------------------------------------------------------- helpers
    def _answers(self, info: dict[str, Any]) -> list[str]:
        episode_over = "is_success" in info and not info.get("valid_actions")
        if self.answer_source is None or episode_over:
            return []
        if callable(self.answer_source):
            return list(self.answer_source(self.env, info) or [])
        try:
            method = self.env.get_wrapper_attr("answer_actions")
        except AttributeError:
            return []
        return list(method() or []) if callable(method) else []

    def _refresh(self, info: dict[str, Any]) -> dict[str, Any]:
        raw = list(info.get("valid_actions") or [])
        if "valid_actions" not in info:  # an env that offers only info["candidate_actions"]: its concrete ones
            raw = [c for c in candidate_actions(info) or [] if not is_template(c)]
        raw += [a for a in self._answers(info) if a not in raw]
        actions = [a for a in raw if isinstance(a, str)]
        self.actions = actions[: self.max_actions]
        info = dict(info)
        info["valid_actions"] = list(self.actions)
        info["valid_actions_dropped"] = max(len(actions) - self.max_actions, 0)
        info["action_mask"] = self.action_masks()
        return info

    @staticmethod
    def _menu(actions: list[str]) -> str:
        return "; ".join(f"[{i}] {a[:_LIST_LABEL_CHARS]}" for i, a in enumerate(actions))

    def _observation(self, obs: Any) -> Any:
        if self.list_actions and isinstance(obs, str):
            return f"{obs}\n\nActions: {self._menu(self.actions) or 'none'}"
        return obs
