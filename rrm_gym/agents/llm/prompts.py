"""Short prompts for small models: one compact user message per decision (the ``choose`` mode's prompts).

A WebWalker turn costs about a hundred prompt tokens instead of the whole conversation: :class:`CompactTracker`
keeps, per sub-env, only what the next decision needs —

* the question (``info["question"]``, else the first observation),
* the critique of the previous attempt, during a refinement (from ``info["rrm"]["critique"]``),
* the last ``history_turns`` steps as one line each (the action and the first line of what came back),
* the current state: ``info["compact_observation"]`` when the env offers it (every ``rrm/*`` env does), else the
  observation cut to ``max_observation_chars``.

It has the interface of :class:`~rrm_gym.agents.llm.conversation.ConversationTracker` (``reset``, ``record``,
``start``, ``add_turn``, ``conversations``, ``episode_done``) plus :meth:`CompactTracker.infos`, the latest info
of each sub-env (where the candidate actions are). Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rrm_gym.agents.llm.conversation import (
    Conversation,
    ConversationTracker,
    normalise_autoreset_mode,
    unbatch_infos,
)

__all__ = ["CompactTracker", "SYSTEM_PROMPT_CHOOSE", "make_tracker"]

SYSTEM_PROMPT_CHOOSE = "You are a web agent. Find the answer to the question by clicking buttons, then answer."
_RESULT_CHARS = 80
_CRITIQUE_CHARS = 400


def _line(text: str, limit: int) -> str:
    first = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Slot:
    question: str = ""
    critique: str = ""
    state: str = ""
    history: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    attempt: Any = None
    done: bool = False


class CompactTracker:
    """One compact prompt per sub-env, kept in step with episodes and refinement attempts.

    Args:
        num_envs: Number of sub-envs.
        system_prompt: System message (``None`` or ``""``: none).
        history_turns: Past steps listed in the prompt (0: none).
        max_observation_chars: Cut for observations of envs without ``info["compact_observation"]``.
        autoreset_mode: ``"next_step"`` or ``"same_step"`` (as the vector env).

    Example:
        >>> t = CompactTracker(1, system_prompt="")
        >>> t.reset(["long page"], [{"question": "Who?", "compact_observation": "Page: Home"}])
        >>> t.record(["click: People"], ["..."], [{"compact_observation": "Page: People"}], [False], [False])
        >>> print(t.conversations()[0][0]["content"])
        Question: Who?
        Steps so far: click: People -> Page: People
        Page: People
    """

    def __init__(self, num_envs: int, system_prompt: str | None = SYSTEM_PROMPT_CHOOSE, history_turns: int = 2,
                 max_observation_chars: int = 600, autoreset_mode: str = "next_step") -> None:
        if num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        if history_turns < 0 or max_observation_chars < 16:
            raise ValueError("history_turns must be >= 0 and max_observation_chars >= 16")
        mode = normalise_autoreset_mode(autoreset_mode)
        self.num_envs = num_envs
        self.system_prompt = system_prompt or ""
        self.history_turns = history_turns
        self.max_observation_chars = max_observation_chars
        self.autoreset_mode = mode
        self._slots = [_Slot() for _ in range(num_envs)]
        self.new_conversation = [True] * num_envs

    # ------------------------------------------------------------------ the tracker interface
    def _state(self, observation: str, info: dict[str, Any]) -> str:
        compact = info.get("compact_observation")
        if isinstance(compact, str) and compact.strip():
            return compact.strip()
        return _clip(observation, self.max_observation_chars)

    def start(self, index: int, observation: str, info: dict[str, Any] | None = None,
              critique: str = "") -> None:
        """Start sub-env ``index`` afresh from a reset (or refinement) observation.

        ``critique`` defaults to the one a feedback wrapper put in ``info["rrm"]`` when the refinement began.
        """
        info = dict(info or {})
        if not critique and int(info.get("attempt") or 1) > 1:
            critique = str((info.get("rrm") or {}).get("critique") or "")
        question = info.get("question") or _clip(observation, self.max_observation_chars)
        self._slots[index] = _Slot(question=str(question), critique=_clip(critique, _CRITIQUE_CHARS),
                                   state=self._state(observation, info), info=info, attempt=info.get("attempt"))
        self.new_conversation[index] = True

    def reset(self, observations: Sequence[str], infos: Any) -> None:
        """Start every sub-env from the observations of ``envs.reset()``."""
        per_env = unbatch_infos(infos, self.num_envs)
        for i, obs in enumerate(observations):
            self.start(i, obs, per_env[i])

    def record(self, actions: Sequence[str], observations: Sequence[str], infos: Any, terminated: Sequence[bool],
               truncated: Sequence[bool]) -> None:
        """Record one vector step (same rules as :meth:`ConversationTracker.record`)."""
        per_env = unbatch_infos(infos, self.num_envs)
        for i in range(self.num_envs):
            slot, info = self._slots[i], per_env[i]
            if info.get("held"):  # the learner left this sub-env untouched
                continue
            done = bool(terminated[i]) or bool(truncated[i])
            attempt = info.get("attempt")
            if slot.done or (done and self.autoreset_mode == "same_step"):
                self.start(i, observations[i], info)
                continue
            if attempt is not None and slot.attempt is not None and attempt != slot.attempt:
                rrm = info.get("rrm") if isinstance(info.get("rrm"), dict) else {}
                self.start(i, observations[i], info, critique=str(rrm.get("critique") or ""))
                continue
            self.add_turn(i, actions[i], observations[i], info)
            slot.done = done

    def add_turn(self, index: int, action: str, observation: str, info: dict[str, Any] | None = None) -> None:
        """Append one step of sub-env ``index``."""
        slot, info = self._slots[index], dict(info or {})
        state = self._state(observation, info)
        slot.history.append(f"{_line(action, _RESULT_CHARS)} -> {_line(state, _RESULT_CHARS)}")
        slot.state, slot.info = state, info
        if info.get("attempt") is not None:
            slot.attempt = info["attempt"]
        self.new_conversation[index] = False

    def conversations(self) -> list[Conversation]:
        """The prompt of every sub-env: an optional system message and one user message."""
        out = []
        for slot in self._slots:
            lines = [f"Question: {slot.question}"]
            if slot.critique:
                lines.append(f"Feedback on your previous attempt: {slot.critique}")
            recent = slot.history[-self.history_turns:] if self.history_turns else []
            if recent:
                lines.append("Steps so far: " + "; ".join(recent))
            lines.append(slot.state)
            conv: Conversation = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
            conv.append({"role": "user", "content": "\n".join(lines)})
            out.append(conv)
        return out

    def infos(self) -> list[dict[str, Any]]:
        """The latest info of every sub-env (its candidate actions live there)."""
        return [dict(s.info) for s in self._slots]

    def episode_done(self, index: int) -> bool:
        """Whether sub-env ``index`` finished its episode on the last step."""
        return self._slots[index].done


def make_tracker(policy: Any, num_envs: int, autoreset_mode: str = "next_step") -> Any:
    """The prompt tracker a policy's action mode uses (the same in training and evaluation)."""
    if getattr(policy, "action_mode", "generate") == "choose":
        return CompactTracker(num_envs, system_prompt=getattr(policy, "system_prompt", SYSTEM_PROMPT_CHOOSE),
                              history_turns=int(getattr(policy, "history_turns", 2)),
                              max_observation_chars=int(getattr(policy, "max_observation_chars", 600)),
                              autoreset_mode=autoreset_mode)
    from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT

    return ConversationTracker(num_envs, system_prompt=getattr(policy, "system_prompt", None) or SYSTEM_PROMPT_AGENT,
                               max_turns_kept=getattr(policy, "history_turns", 2), autoreset_mode=autoreset_mode)
