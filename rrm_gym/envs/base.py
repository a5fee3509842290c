"""``TextEnv``: the base of every ``rrm/*`` env (the env contract of DESIGN.md lives here).

A concrete env supplies tasks and tools; the base class does the rest: seeding, task pinning, action parsing,
explanatory observations for bad actions, outcome reward on the final answer, ``info`` keys and ANSI rendering.

Subclasses implement:

* :meth:`TextEnv._new_task` — pick a task from ``self.np_random`` and the reset options (``task_id``,
  ``split``, ``difficulty``);
* :meth:`TextEnv._tools`, :meth:`TextEnv._call_tool` — the tools and what they do (raise :class:`ToolError` for a bad
  call: it becomes the observation);
* optionally :meth:`TextEnv._state_text`, :meth:`TextEnv.valid_actions`, :meth:`TextEnv.score_answer`,
  :meth:`TextEnv.judge_reference`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rrm_gym.envs.actions import ActionError, Answer, Tool, ToolCall, format_tools, parse_action
from rrm_gym.envs.candidates import merge_candidates
from rrm_gym.envs.spaces import ProseText
from rrm_gym.tasks.scoring import qa_reward

__all__ = ["TextEnv", "Task", "ToolError", "SPLITS"]

SPLITS = ("train", "test")
MAX_OBSERVATION_CHARS = 200_000
MAX_ACTION_CHARS = 100_000
_ECHO_CHARS = 200
_COMPACT_CHARS = 600


class ToolError(Exception):
    """A tool call that cannot be carried out; its message becomes the observation."""


@dataclass(frozen=True)
class Task:
    """A generic task: an id, a question, gold answers and privileged data for reference judges.

    Attributes:
        task_id: Stable, unique id (the same id always names the same task).
        question: What the agent is asked.
        answers: Accepted gold answers (the first is canonical).
        reference: Privileged data for reference judges (gold path, evidence, ...); never shown to the agent.
        meta: Free-form extras (difficulty, split, source benchmark, ...).
    """

    task_id: str
    question: str
    answers: tuple[str, ...] = ()
    reference: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


_VALIDATORS: dict[str, Any] = {}  # schema JSON -> validator: check each tool schema once, not on every step


def _validator(schema: dict[str, Any]) -> Any:
    import jsonschema

    key = json.dumps(schema, sort_keys=True, default=str)
    validator = _VALIDATORS.get(key)
    if validator is None:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = _VALIDATORS[key] = cls(schema)
    return validator


def _validate_arguments(tool: Tool, args: dict[str, Any]) -> str | None:
    """Check arguments against the tool's JSON schema; return an error message or ``None``."""
    import jsonschema

    try:
        error = jsonschema.exceptions.best_match(_validator(tool.parameters).iter_errors(args))
        if error is not None:
            raise error
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
        return f"invalid arguments for {tool.name} ({where}): {exc.message[:200]}"
    except (jsonschema.SchemaError, RecursionError) as exc:  # pragma: no cover - env author error
        return f"cannot validate arguments for {tool.name}: {exc}"
    return None


class TextEnv(gym.Env[str, str]):
    """Base class of text-agent envs: ``str`` observations and actions, tools, a final answer.

    Reset options: ``task_id`` pins a task, ``split`` is ``"train"`` (default) or ``"test"`` (held-out tasks),
    ``difficulty`` picks a tier where the env has tiers. ``info`` always holds ``task_id``, ``question``,
    ``valid_actions``, ``candidate_actions`` (see :mod:`rrm_gym.envs.candidates`), ``compact_observation`` (a short
    rendering of the state for small-context agents) and, at the end of an episode, ``is_success`` and
    ``final_answer``.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> env = gym.make("rrm/WebWalker-v0")
        >>> obs, info = env.reset(seed=0)
        >>> isinstance(obs, str) and "task_id" in info
        True
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, *, render_mode: str | None = None, split: str = "train", difficulty: str | None = None):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.render_mode = render_mode
        self.default_split = split
        self.default_difficulty = difficulty
        self.observation_space = ProseText(MAX_OBSERVATION_CHARS)
        self.action_space = ProseText(MAX_ACTION_CHARS)
        self.task: Task | None = None
        self._history: list[tuple[str, str]] = []
        self._first_observation = ""
        self._done = False
        self._final_answer: str | None = None

    # ----------------------------------------------------------------- hooks for subclasses
    def _new_task(self, options: dict[str, Any]) -> Task:
        """Return the task for this episode; ``options`` holds ``split``, ``difficulty`` and maybe ``task_id``."""
        raise NotImplementedError  # abstract hook; every concrete env overrides it

    def _tools(self) -> list[Tool]:
        """The tools available in the current state."""
        return []

    def _call_tool(self, call: ToolCall) -> str:
        """Carry out a validated tool call and return the observation; raise :class:`ToolError` when it fails."""
        raise ToolError(f"tool {call.name} is not implemented by {type(self).__name__}")

    def _start_task(self, task: Task) -> None:
        """Set up per-episode state for ``task`` (e.g. go to the start page)."""

    def _state_text(self) -> str:
        """Text describing the current state (e.g. the current page), appended to observations."""
        return ""

    def _task_intro(self) -> str:
        """What the first observation says before the tools; default the question."""
        assert self.task is not None
        return f"Question: {self.task.question}"

    def valid_actions(self) -> list[str]:
        """Concrete actions available now, each accepted by :meth:`step` as it is."""
        return []

    def answer_actions(self) -> list[str]:
        """Candidate final answers (complete action texts) the env can offer now; default none."""
        return []

    def candidate_actions(self) -> list[str]:
        """What a choosing learner may pick from: :meth:`valid_actions`, then :meth:`answer_actions`.

        Also in every info as ``info["candidate_actions"]`` (see :mod:`rrm_gym.envs.candidates`); empty once the
        episode is over.
        """
        if self._done:
            return []
        return merge_candidates(self.valid_actions(), self.answer_actions())

    def compact_state(self) -> str:
        """A short rendering of the current state for small-context agents (default: the state text, clipped)."""
        text = " ".join(self._state_text().split())
        return text if len(text) <= _COMPACT_CHARS else text[: _COMPACT_CHARS - 3] + "..."

    def score_answer(self, answer: str) -> float:
        """Outcome reward for a final answer (default: exact match or token F1 >= 0.5)."""
        assert self.task is not None
        return qa_reward(answer, list(self.task.answers)) if self.task.answers else 0.0

    def judge_reference(self) -> dict[str, Any]:
        """Privileged data of the current task for reference judges (gold answer, gold path, evidence)."""
        if self.task is None:
            return {}
        ref = {"answer": self.task.answers[0] if self.task.answers else None, "answers": list(self.task.answers)}
        ref.update(self.task.reference)
        return ref

    def _extra_info(self) -> dict[str, Any]:
        """Env-specific info keys for every step."""
        return {}

    # ----------------------------------------------------------------- gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start an episode; ``options`` may pin ``task_id``, ``split`` or ``difficulty``."""
        super().reset(seed=seed)
        opts = dict(options or {})
        opts.setdefault("split", self.default_split)
        if self.default_difficulty is not None:
            opts.setdefault("difficulty", self.default_difficulty)
        if opts["split"] not in SPLITS:
            raise ValueError(f"options['split'] must be one of {SPLITS}, got {opts['split']!r}")
        self.task = self._new_task(opts)
        self._start_task(self.task)
        self._done = False
        self._final_answer = None
        parts = [self._task_intro(), format_tools(self._tools())]
        state = self._state_text()
        if state:
            parts.append(state)
        obs = self._clip("\n\n".join(parts))
        self._first_observation = obs
        self._history = [("", obs)]
        return obs, self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Apply one agent action; any text is legal and bad actions get an explanatory observation."""
        if self.task is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        text = action if isinstance(action, str) else repr(action)
        reward, terminated, extra = 0.0, False, {}
        if self._done:
            obs = "The episode is over; call reset() to start a new one."
            terminated = True
        else:
            parsed = parse_action(action, self._tools())
            if isinstance(parsed, Answer):
                reward = float(self.score_answer(parsed.text))
                terminated = self._done = True
                self._final_answer = parsed.text
                obs = f"Final answer received: {parsed.text[:_ECHO_CHARS]}"
                extra = {"is_success": reward >= 1.0, "final_answer": parsed.text}
            elif isinstance(parsed, ActionError):
                obs = f"Invalid action: {parsed.message}"
                extra = {"action_error": parsed.message}
            else:
                obs, extra = self._run_tool(parsed)
        self._history.append((text, self._clip(obs)))
        return self._clip(obs), reward, terminated, False, {**self._info(), **extra}

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: the episode so far as text."""
        if self.render_mode != "ansi":
            return None
        lines = [f"=== task {self.task.task_id if self.task else '-'} ==="]
        for i, (act, obs) in enumerate(self._history):
            if i:
                lines.append(f"--- step {i} ---\n> {act[:_ECHO_CHARS * 5]}")
            lines.append(obs)
        return "\n".join(lines)

    # ----------------------------------------------------------------- helpers
    def _run_tool(self, call: ToolCall) -> tuple[str, dict[str, Any]]:
        tool = next(t for t in self._tools() if t.name == call.name)
        problem = _validate_arguments(tool, call.arguments)
        if problem is not None:
            return f"Error: {problem}", {"action_error": problem}
        try:
            result = self._call_tool(call)
        except ToolError as exc:
            return f"Error: {exc}", {"action_error": str(exc), "tool": call.name}
        state = self._state_text()
        obs = f"{result}\n\n{state}" if state and state not in result else result
        return obs, {"tool": call.name}

    def _info(self) -> dict[str, Any]:
        assert self.task is not None
        info = {
            "task_id": self.task.task_id,
            "question": self.task.question,
            "valid_actions": [] if self._done else self.valid_actions(),
            "candidate_actions": self.candidate_actions(),
            "compact_observation": self.compact_state(),
            "split": self.task.meta.get("split", self.default_split),
        }
        if "difficulty" in self.task.meta:
            info["difficulty"] = self.task.meta["difficulty"]
        info.update(self._extra_info())
        return info

    @staticmethod
    def _clip(text: str) -> str:
        if len(text) <= MAX_OBSERVATION_CHARS:
            return text
        marker = "\n[... observation truncated ...]"
        return text[: MAX_OBSERVATION_CHARS - len(marker)] + marker
