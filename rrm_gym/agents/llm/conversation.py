"""Chat conversations of text agents over (vector) envs: the data that an LLM policy turns into actions.

A :data:`Conversation` is a list of chat messages ``{"role": ..., "content": ...}``. :class:`ConversationTracker`
keeps one conversation per sub-env of a vector env: the system prompt, then the observations as ``user`` messages
and the agent's actions as ``assistant`` messages. It starts a fresh conversation when an episode ends (NEXT_STEP
or SAME_STEP autoreset of Gymnasium vector envs) and when a feedback wrapper starts a refinement attempt
(``info["attempt"]`` changed: the new observation already holds the question, the previous attempt and the
critique). An :data:`Agent` is anything that maps conversations to actions, e.g. ``LLMPolicy.as_agent()``.

This module is torch-free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Conversation",
    "Agent",
    "SYSTEM_PROMPT_AGENT",
    "ConversationTracker",
    "normalise_autoreset_mode",
    "unbatch_infos",
]

Conversation = list[dict[str, str]]
"""Chat messages ``[{"role": "system" | "user" | "assistant", "content": str}, ...]``."""

Agent = Callable[[list[Conversation]], list[str]]
"""Maps a batch of conversations (one per env) to one action per conversation."""

SYSTEM_PROMPT_AGENT = (
    "You are an agent. Solve the task with the tools listed in the observation. Reply with exactly one action "
    "per turn and nothing else: a line `tool: argument` (e.g. `click: About us`) or "
    '<tool_call>{"name": TOOL, "arguments": {...}}</tool_call>. '
    "When you know the answer, reply with the final answer as \\boxed{ANSWER}.\n"
    "Example reply: click: About us"
)


def _to_python(value: Any) -> Any:
    """Numpy scalars to Python scalars; everything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def unbatch_infos(infos: dict[str, Any] | Sequence[dict[str, Any]], num_envs: int) -> list[dict[str, Any]]:
    """Split the batched ``infos`` of a Gymnasium vector env into one plain dict per sub-env.

    Vector envs give a dict of arrays where ``infos["_key"]`` masks which sub-envs have ``key``; nested dicts
    (e.g. ``info["rrm"]``) are batched the same way, recursively. A list of dicts (already one per env) is
    returned as a list of shallow copies.

    Args:
        infos: The vector env's ``infos``.
        num_envs: Number of sub-envs.

    Returns:
        ``num_envs`` dicts holding only the keys each sub-env actually reported.

    Example:
        >>> import numpy as np
        >>> unbatch_infos({"attempt": np.array([1, 2]), "_attempt": np.array([True, False])}, 2)
        [{'attempt': 1}, {}]
    """
    if isinstance(infos, (list, tuple)):
        if len(infos) != num_envs:
            raise ValueError(f"got {len(infos)} infos for {num_envs} envs")
        return [dict(i) for i in infos]
    if not isinstance(infos, dict):
        raise TypeError(f"infos must be a dict (vector env) or a list of dicts, got {type(infos).__name__}")
    out: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in infos.items():
        if key.startswith("_") and key[1:] in infos:
            continue  # a mask
        mask = infos.get(f"_{key}")
        if isinstance(value, dict):
            for i, sub in enumerate(unbatch_infos(value, num_envs)):
                if (mask is None and sub) or (mask is not None and bool(mask[i])):
                    out[i][key] = sub
            continue
        is_batched = isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == num_envs
        for i in range(num_envs):
            if mask is not None and not bool(mask[i]):
                continue
            out[i][key] = _to_python(value[i]) if is_batched else value
    return out


def normalise_autoreset_mode(autoreset_mode: Any) -> str:
    """``"next_step"`` or ``"same_step"`` from a string or Gymnasium ``AutoresetMode``; ``ValueError`` otherwise.

    Example:
        >>> normalise_autoreset_mode("SameStep")
        'same_step'
    """
    mode = str(getattr(autoreset_mode, "value", autoreset_mode)).lower().replace("_", "")
    mode = {"nextstep": "next_step", "samestep": "same_step"}.get(mode, mode)
    if mode not in ("next_step", "same_step"):
        raise ValueError(f"autoreset_mode must be 'next_step' or 'same_step', got {autoreset_mode!r}")
    return mode


class ConversationTracker:
    r"""One chat conversation per sub-env of a vector env, kept in step with episodes and refinement attempts.

    Args:
        num_envs: Number of sub-envs.
        system_prompt: First message of every conversation (``None`` or ``""``: no system message).
        max_turns_kept: Keep at most this many (assistant, user) exchanges after the first observation
            (older ones are dropped; the system message and the first observation, which holds the question and
            the tools, are always kept). ``None`` keeps everything.
        autoreset_mode: ``"next_step"`` (Gymnasium's default: the step after a done returns the reset
            observation and ignores the action) or ``"same_step"`` (the done step already returns the reset
            observation).

    Example:
        >>> tracker = ConversationTracker(1, system_prompt="Be brief.")
        >>> tracker.reset(["Question: 2+2?"], {})
        >>> tracker.record(["\\boxed{4}"], ["Final answer received: 4"], {}, [True], [False])
        >>> [m["role"] for m in tracker.conversations()[0]]
        ['system', 'user', 'assistant', 'user']
        >>> tracker.record(["ignored"], ["Question: 3+3?"], {}, [False], [False])  # NEXT_STEP autoreset
        >>> tracker.conversations()[0][-1]["content"]
        'Question: 3+3?'
    """

    def __init__(
        self,
        num_envs: int,
        system_prompt: str | None = SYSTEM_PROMPT_AGENT,
        max_turns_kept: int | None = 8,
        autoreset_mode: str = "next_step",
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if max_turns_kept is not None and max_turns_kept < 0:
            raise ValueError(f"max_turns_kept must be >= 0 or None, got {max_turns_kept}")
        mode = normalise_autoreset_mode(autoreset_mode)
        self.num_envs = num_envs
        self.system_prompt = system_prompt or ""
        self.max_turns_kept = max_turns_kept
        self.autoreset_mode = mode
        self._convs: list[Conversation] = [[] for _ in range(num_envs)]
        self._done = [False] * num_envs
        self._attempt: list[Any] = [None] * num_envs
        self._infos: list[dict[str, Any]] = [{} for _ in range(num_envs)]
        self.new_conversation = [True] * num_envs
        """Per env: whether the latest :meth:`reset`/:meth:`record` started a fresh conversation."""

    # ------------------------------------------------------------------ public API
    def start(self, index: int, observation: str, info: dict[str, Any] | None = None) -> None:
        """Start a fresh conversation for sub-env ``index`` with ``observation`` as the first user message."""
        conv: Conversation = []
        if self.system_prompt:
            conv.append({"role": "system", "content": self.system_prompt})
        conv.append({"role": "user", "content": str(observation)})
        self._convs[index] = conv
        self._done[index] = False
        self._attempt[index] = (info or {}).get("attempt")
        self._infos[index] = dict(info or {})
        self.new_conversation[index] = True

    def reset(self, observations: Sequence[str], infos: dict[str, Any] | Sequence[dict[str, Any]]) -> None:
        """Start every env's conversation from the observations of ``envs.reset()``."""
        self._check_len(observations)
        per_env = unbatch_infos(infos, self.num_envs)
        for i, obs in enumerate(observations):
            self.start(i, obs, per_env[i])

    def record(
        self,
        actions: Sequence[str],
        observations: Sequence[str],
        infos: dict[str, Any] | Sequence[dict[str, Any]],
        terminated: Sequence[bool],
        truncated: Sequence[bool],
    ) -> None:
        """Record one vector step: the actions sent and what came back.

        Appends the action (assistant) and the observation (user) to each conversation, or starts a fresh
        conversation where an episode restarted (autoreset) or a refinement attempt began.
        """
        for seq in (actions, terminated, truncated):
            self._check_len(seq)
        self._check_len(observations)
        per_env = unbatch_infos(infos, self.num_envs)
        for i in range(self.num_envs):
            done = bool(terminated[i]) or bool(truncated[i])
            info = per_env[i]
            if info.get("held"):  # the learner left this sub-env untouched (rrm_gym.wrappers.hold)
                continue
            attempt = info.get("attempt")
            if self._done[i]:  # NEXT_STEP autoreset: the action was ignored, this is the reset observation
                self.start(i, observations[i], info)
                continue
            if done and self.autoreset_mode == "same_step":
                self.start(i, observations[i], info)
                continue
            if attempt is not None and self._attempt[i] is not None and attempt != self._attempt[i]:
                self.start(i, observations[i], info)  # refinement: the observation holds the critique
                continue
            if attempt is not None:
                self._attempt[i] = attempt
            self.add_turn(i, actions[i], observations[i], info)
            self._done[i] = done

    def add_turn(self, index: int, action: str, observation: str, info: dict[str, Any] | None = None) -> None:
        """Append one exchange (the agent's ``action``, then the env's ``observation``) to env ``index``."""
        if info is not None:
            self._infos[index] = dict(info)
        conv = self._convs[index]
        conv.append({"role": "assistant", "content": str(action)})
        conv.append({"role": "user", "content": str(observation)})
        self._trim(conv)
        self.new_conversation[index] = False

    def conversations(self) -> list[Conversation]:
        """The current conversation of every env (copies: safe to modify)."""
        return [[dict(m) for m in conv] for conv in self._convs]

    def infos(self) -> list[dict[str, Any]]:
        """The latest info of every env (e.g. its candidate actions)."""
        return [dict(i) for i in self._infos]

    def episode_done(self, index: int) -> bool:
        """Whether env ``index`` finished its episode on the last step (its next action will be ignored)."""
        return self._done[index]

    # ------------------------------------------------------------------ helpers
    def _check_len(self, seq: Sequence[Any]) -> None:
        if len(seq) != self.num_envs:
            raise ValueError(f"expected {self.num_envs} entries (one per env), got {len(seq)}")

    def _trim(self, conv: Conversation) -> None:
        if self.max_turns_kept is None:
            return
        head = 2 if conv and conv[0]["role"] == "system" else 1
        excess = len(conv) - head - 2 * self.max_turns_kept
        if excess > 0:
            del conv[head : head + excess]
