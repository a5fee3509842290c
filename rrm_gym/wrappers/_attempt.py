"""Shared pieces of the feedback wrappers, used by the single-env and the vector wrappers alike.

Recording an attempt, deciding what a judgement does, and the observation that carries a critique to the agent.
Recording is one tuple per step: the :class:`Turn` objects of a trajectory are built only when they are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from rrm_gym.types import Judgement, JudgeRequest, Trajectory, Turn
from rrm_gym.wrappers._info_view import MISSING, unbatch_one

__all__ = ["AttemptRecorder", "FeedbackSettings", "LazyTrajectory", "Outcome", "decide", "refinement_observation",
           "GENERIC_CRITIQUE", "REFINE_POLICIES"]

REFINE_POLICIES = ("always", "on_failure")
"""When C and U refine an attempt: ``always`` (Reagent-U's training setting) or ``on_failure`` (only attempts that
did not succeed)."""

GENERIC_CRITIQUE = (
    "No reviewer feedback is available for this attempt. Re-check each step: did you visit the pages or use the "
    "tools that hold the evidence, and does your final answer follow from what you saw?"
)
# Keys a wrapper adds or that describe the next state rather than the step: not recorded in Turn.info.
_SKIP_INFO = frozenset(
    {"valid_actions", "question", "rrm", "reward_env", "reward_rrm", "attempt", "trajectory", "previous",
     "final_obs", "final_info", "episode"}
)
# A recorded step: (action, observation, reward, info, index, final_answer, is_success). ``index`` is None for a
# plain info dict; for a sub-env of a vector env ``info`` is the batched infos, ``index`` the sub-env, and the two
# last items its ``final_answer`` (None when absent) and ``is_success`` (MISSING when absent), read when recorded.
Step = tuple[Any, Any, float, Any, "int | None", Any, Any]
_PREVIEW_CHARS = 300
_PREVIEW_TURNS = 8


def _turn_info(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in _SKIP_INFO and k[:1] != "_"}


def _turn(step: Step) -> Turn:
    action, observation, reward, info, index, _, _ = step
    if index is not None:  # a sub-env of a vector env: its info is still inside the batched infos
        info = unbatch_one(info, index)
    act = action if isinstance(action, str) else repr(action)
    return Turn(str(observation), act, float(reward), _turn_info(info))


class _LazyTurns:
    """Non-data descriptor: builds ``turns`` from the recorded steps on first read and stores them on the instance."""

    def __get__(self, obj: Any, owner: type | None = None) -> tuple[Turn, ...]:
        if obj is None:
            return ()
        state = obj.__dict__
        steps = state.get("_steps")
        if steps is None:  # another thread built them meanwhile
            return state.get("turns", ())
        turns = tuple(_turn(step) for step in steps)
        state["turns"] = turns  # from now on the instance attribute is found first
        state.pop("_steps", None)
        return turns


class LazyTrajectory(Trajectory):
    """A :class:`~rrm_gym.types.Trajectory` whose :class:`~rrm_gym.types.Turn` objects are built when first read.

    Recording a step costs one tuple; a judge that reads ``turns`` (to serialise them) pays for building them once,
    a judge that does not never does. It equals, hashes, prints and pickles as the plain ``Trajectory``.

    Example:
        >>> rec = AttemptRecorder()
        >>> rec.start("Question: Who?", {"question": "Who?"})
        >>> rec.record("\\\\boxed{Ada}", "done", 1.0, {"final_answer": "Ada"})
        >>> traj = rec.trajectory()
        >>> traj == Trajectory(None, "Who?", tuple(traj.turns), "Ada"), traj.turns[0].observation
        (True, 'done')
    """

    turns = _LazyTurns()  # type: ignore[assignment]

    @classmethod
    def of(cls, task_id: str | None, question: str, steps: tuple[Step, ...],
           final_answer: str | None) -> LazyTrajectory:
        """A trajectory over recorded steps (see ``Step``)."""
        traj = object.__new__(cls)
        traj.__dict__.update(task_id=task_id, question=question, final_answer=final_answer, _steps=steps)
        return traj

    def _fields(self) -> tuple[Any, ...]:
        return (self.task_id, self.question, self.turns, self.final_answer)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trajectory):
            return self._fields() == (other.task_id, other.question, other.turns, other.final_answer)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"Trajectory(task_id={self.task_id!r}, question={self.question!r}, turns={self.turns!r}, "
                f"final_answer={self.final_answer!r})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Trajectory, self._fields())


class AttemptRecorder:
    """Records one attempt of one env: the question, the task id, the steps (kept raw, as tuples).

    ``final_answer``, ``is_success`` and ``reward_env`` are read from the recorded steps when asked for; the
    trajectory's :class:`Turn` objects are built only when someone reads them (see :class:`LazyTrajectory`).

    Example:
        >>> rec = AttemptRecorder()
        >>> rec.start("Question: Who?", {"task_id": "t1", "question": "Who?"})
        >>> rec.record("\\\\boxed{Ada}", "done", 1.0, {"final_answer": "Ada"})
        >>> rec.trajectory().final_answer
        'Ada'
    """

    __slots__ = ("question", "task_id", "first_observation", "reference", "steps", "_trail", "_total",
                 "_trajectory")

    def __init__(self) -> None:
        self.question = ""
        self.task_id: str | None = None
        self.first_observation = ""
        self.reference: dict[str, Any] | None = None
        self.steps: list[Step] = []
        self._trail: tuple[int, str | None, bool | None] = (0, None, None)
        self._total: tuple[int, float] = (0, 0.0)
        self._trajectory: tuple[int, LazyTrajectory] | None = None

    def start(self, observation: str, info: dict[str, Any], reference: dict[str, Any] | None = None) -> None:
        """Begin an attempt from a reset observation and info."""
        self.begin(observation, info.get("question"), info.get("task_id"), reference)

    def begin(self, observation: Any, question: Any, task_id: Any, reference: dict[str, Any] | None = None) -> None:
        """Begin an attempt from a reset observation and the info's ``question`` and ``task_id``."""
        self.question = str(question) if question else str(observation)
        self.task_id = None if task_id is None else str(task_id)
        self.first_observation = str(observation)
        self.steps = []
        self._trail = (0, None, None)
        self._total = (0, 0.0)
        self._trajectory = None
        self.reference = reference

    def record(self, action: Any, observation: Any, reward: float, info: dict[str, Any]) -> None:
        """Add one step (kept raw; :class:`Turn` objects are built once, when the trajectory's turns are read)."""
        self.steps.append((action, observation, reward, info, None, None, None))

    def _last(self) -> tuple[str | None, bool | None]:
        """``(final_answer, is_success)`` of the attempt: read backwards from the last step, stopping at both."""
        steps = self.steps
        cached = self._trail
        if cached[0] == len(steps):
            return cached[1], cached[2]
        answer: Any = MISSING
        success: Any = MISSING
        for k in range(len(steps) - 1, cached[0] - 1, -1):
            _, _, _, info, index, value, flag = steps[k]
            if index is None:
                value = info.get("final_answer")
                flag = info.get("is_success", MISSING)
            if answer is MISSING and value is not None and value is not MISSING:
                answer = str(value)
            if success is MISSING and flag is not MISSING:
                success = bool(flag)
                if answer is not MISSING:
                    break
        answer = cached[1] if answer is MISSING else answer
        success = cached[2] if success is MISSING else success
        self._trail = (len(steps), answer, success)
        return answer, success

    @property
    def final_answer(self) -> str | None:
        """The last final answer given in the attempt, if any."""
        return self._last()[0]

    @property
    def is_success(self) -> bool | None:
        """The last ``info["is_success"]`` of the attempt, if any."""
        return self._last()[1]

    @property
    def reward_env(self) -> float:
        """The attempt's summed env reward (added step by step, in order)."""
        done, total = self._total
        steps = self.steps
        if done != len(steps):
            for k in range(done, len(steps)):
                total += steps[k][2]
            self._total = (len(steps), total)
        return total

    @property
    def turns(self) -> list[Turn]:
        """The attempt's steps as :class:`Turn` objects."""
        return list(self.trajectory().turns)

    def trajectory(self) -> Trajectory:
        """The attempt so far (the same object until another step is recorded)."""
        cached = self._trajectory
        if cached is None or cached[0] != len(self.steps):
            traj = LazyTrajectory.of(self.task_id, self.question, tuple(self.steps), self.final_answer)
            self._trajectory = cached = (len(self.steps), traj)
        return cached[1]

    def request(self) -> JudgeRequest:
        """The judge request for this attempt."""
        return JudgeRequest(self.question, self.trajectory(), self.reference)

    def summary(self) -> dict[str, Any]:
        """What ``info["previous"]`` says about a finished attempt."""
        answer, success = self._last()
        return {"reward_env": self.reward_env, "is_success": success, "final_answer": answer,
                "num_turns": len(self.steps)}


@dataclass(frozen=True)
class FeedbackSettings:
    """What a feedback wrapper does with a judgement: ``shape`` (R), ``refine`` (C), both (U).

    ``refine_when`` is the refinement policy of C and U: ``"always"`` refines every attempt while refinements are
    left (Reagent-U's training setting: the initial and the refined attempt are both samples of the task), and
    ``"on_failure"`` refines only attempts that did not succeed (``info["is_success"]`` not true at the attempt's
    end), so a successful attempt ends the episode. Either way the episode's final ``info["is_success"]`` is the one
    of its last attempt: under ``"always"`` a correct-then-wrong episode ends with ``is_success=False``; under
    ``"on_failure"`` it is true exactly when some attempt succeeded.
    """

    shape: bool
    refine: bool
    lam: float = 0.3
    max_refinements: int = 1
    on_error: str = "neutral"
    refine_when: str = "always"

    def __post_init__(self) -> None:
        if self.max_refinements < 0:
            raise ValueError(f"max_refinements must be >= 0, got {self.max_refinements}")
        if self.refine_when not in REFINE_POLICIES:
            raise ValueError(f"refine must be one of {REFINE_POLICIES}, got {self.refine_when!r}")

    def refines(self, attempt: int, success: bool | None = None) -> bool:
        """Whether the attempt numbered ``attempt`` (1-based), which ended with ``success``, is refined."""
        if not self.refine or attempt > self.max_refinements:
            return False
        return not (self.refine_when == "on_failure" and bool(success))

    def needs_judge(self, attempt: int, success: bool | None = None) -> bool:
        """Whether the attempt numbered ``attempt`` (1-based), which ended with ``success``, is judged."""
        return self.shape or self.refines(attempt, success)


class Outcome(NamedTuple):
    """The effect of one judgement: reward added and whether (and with what critique) to refine."""

    reward_rrm: float
    refine: bool
    critique: str


def decide(settings: FeedbackSettings, judgement: Judgement | None, attempt: int,
           success: bool | None = None) -> Outcome:
    """Apply the settings and the failure policy to the judgement of an attempt that ended with ``success``.

    ``judgement`` is ``None`` when the attempt was not judged.
    """
    if judgement is None:
        return Outcome(0.0, False, "")
    ok = judgement.ok and judgement.score is not None
    if not ok and settings.on_error == "skip":
        return Outcome(0.0, False, "")
    reward = settings.lam * float(judgement.score) if (settings.shape and ok) else 0.0
    refine = settings.refines(attempt, success)
    critique = judgement.critique.strip() if ok else ""
    return Outcome(reward, refine, critique or GENERIC_CRITIQUE)


def _clip(text: str, limit: int = _PREVIEW_CHARS) -> str:
    """Whitespace collapsed, cut to ``limit`` characters with ``...`` (of the first ``4 * limit`` characters)."""
    text = str(text)
    n = len(text)
    # Already collapsed and short (a typical action): printable text has no whitespace but the ASCII space.
    if n <= limit and text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    probe = limit + limit // 4 + 8
    if n > probe:  # the collapsed start of a prefix is a prefix of the collapsed whole: often enough
        head = " ".join(text[:probe].split())
        if len(head) > limit:
            return head[: limit - 3] + "..."
    text = " ".join(text[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def refinement_observation(reset_observation: str, recorder: AttemptRecorder, critique: str, attempt: int) -> str:
    """The observation that starts a refinement: the task again, the previous attempt and the critique."""
    lines = [reset_observation]
    if recorder.question and recorder.question not in reset_observation:
        lines.insert(0, f"Question: {recorder.question}")
    lines.append(f"\n## Your previous attempt (attempt {attempt - 1})")
    steps = recorder.steps
    skipped = max(0, len(steps) - _PREVIEW_TURNS)
    if skipped:
        lines.append(f"[... {skipped} earlier steps omitted ...]")
    for n in range(skipped, len(steps)):
        action, observation = steps[n][0], steps[n][1]
        act = action if isinstance(action, str) else repr(action)
        lines.append(f"Step {n + 1}: {_clip(act)}\n  -> {_clip(observation, 160)}")
    if not steps:
        lines.append("(no actions)")
    answer = recorder.final_answer
    answer = answer if answer is not None else "(no final answer given)"
    lines.append(f"Final answer: {_clip(answer)}")
    lines.append(f"\n## Reviewer critique\n{critique}")
    lines.append(f"\nThis is attempt {attempt}. Use the critique, avoid the same mistakes, and give your final "
                 "answer as \\boxed{...}.")
    return "\n".join(lines)
