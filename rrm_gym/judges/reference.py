"""``ReferenceJudge``: an offline, deterministic process judge — privileged data for the score, never for the text.

The judge is two parts that never meet:

* the **scorer** (:func:`score_attempt`) receives the task's privileged reference and the trajectory and returns a
  number; it is the only code that reads :attr:`~rrm_gym.types.JudgeRequest.reference`;
* the **writer** (:class:`~rrm_gym.judges.reference_writer.CritiqueWriter`) receives the question and the trajectory
  — no reference parameter exists — and writes the critique and the trace.

So changing any reference field can never change a word of the critique or the trace (the critique contract of
DESIGN.md); ``tests/judges/test_reference.py`` checks it with randomised references over real env trajectories, and
``tests/judges/test_critique_leak.py`` checks that exploit agents reading the critique do no better than with none.

Reference keys the scorer reads (all optional): ``answer`` (str), ``answers`` (list of str), ``answer_match``
(``"math"`` for mathematical equivalence), ``gold_path`` (pages or documents a good solution opens), ``evidence``
(facts a good solution must have seen in an observation), ``required_tools`` (tool names).

Score: ``process = 0.6 * coverage + 0.4 * efficiency`` (coverage = mean of gold-path, evidence and required-tool
coverage that the reference defines; efficiency = 1 - wasted steps / steps, where a repeated action in the same
state counts 1 and an invalid action 1.5), halved when the agent never answered; with gold answers
``score = 0.5 * correct + 0.5 * process``. A right answer reached by a bad process scores below 1 and a wrong answer
after a good process still earns partial credit.

``oracle_hints=True`` (``make("reference", oracle_hints=True)``) appends hints computed from the reference — the
gold pages / documents the agent never opened and the required tools it never used. **That option leaks privileged
data into the critique** (a page title can be, or name, the answer); it exists for curricula, is never the default,
changes the judge's name to ``reference+oracle`` and is excluded from the leak test's honest judges.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from rrm_gym.judges.parser import parse_judgement
from rrm_gym.judges.prompt import sanitize_agent_text
from rrm_gym.judges.reference_writer import CritiqueWriter, TrajectoryFacts, analyse_trajectory
from rrm_gym.tasks.scoring import normalize_answer, qa_reward
from rrm_gym.types import Judgement, JudgeRequest, Trajectory

__all__ = ["ReferenceJudge", "VERSION", "score_attempt"]

VERSION = "2"
"""Version of the reference judge's scoring and writing; bump it whenever either changes (it is in the cache key)."""


def _strings(value: Any) -> list[str]:
    """A reference field as a list of non-empty strings."""
    if value is None:
        return []
    items = [value] if isinstance(value, (str, int, float)) else list(value) if isinstance(value, Iterable) else []
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def _answer_reward(final: str, golds: list[str], match: Any) -> float:
    """Whether the answer is right: ``match == "math"`` checks mathematical equivalence."""
    if match == "math":
        from rrm_gym.tasks.math_equiv import math_equal

        return float(any(math_equal(final, gold) for gold in golds))
    return qa_reward(final, golds)


def _coverage(facts: TrajectoryFacts, ref: dict[str, Any]) -> tuple[float | None, list[str], list[str]]:
    """(coverage or None, gold pages never visited, required tools never used)."""
    parts = []
    gold_path = _strings(ref.get("gold_path"))
    missing_pages = [p for p in gold_path if normalize_answer(p) not in facts.visited]
    if gold_path:
        parts.append(1 - len(missing_pages) / len(gold_path))
    evidence = _strings(ref.get("evidence"))
    if evidence:
        parts.append(sum(normalize_answer(e) in facts.observed for e in evidence) / len(evidence))
    tools = _strings(ref.get("required_tools"))
    used = {t.lower() for t in facts.tools}
    missing_tools = [t for t in tools if t.lower() not in used]
    if tools:
        parts.append(1 - len(missing_tools) / len(tools))
    return (sum(parts) / len(parts) if parts else None), missing_pages, missing_tools


def score_attempt(facts: TrajectoryFacts, reference: dict[str, Any] | None) -> float:
    """The score of one attempt: the trajectory's facts checked against the privileged reference.

    Example:
        >>> from rrm_gym.types import Turn
        >>> t = Trajectory(None, "Who?", [Turn("done", "\\\\boxed{Ada}", info={"final_answer": "Ada"})], "Ada")
        >>> facts = analyse_trajectory("Who?", t)
        >>> score_attempt(facts, {"answer": "Ada"}), score_attempt(facts, {"answer": "Bob"})
        (1.0, 0.5)
    """
    ref = reference if isinstance(reference, dict) else {}
    golds = _strings(ref.get("answer")) + _strings(ref.get("answers"))
    coverage, _, _ = _coverage(facts, ref)
    wasted = len(facts.repeats) + 1.5 * len(facts.invalid)
    efficiency = max(0.0, 1.0 - wasted / facts.steps) if facts.steps else 0.0
    process = efficiency if coverage is None else 0.6 * coverage + 0.4 * efficiency
    if not facts.answered:
        process *= 0.5
    if golds:
        correct = _answer_reward(facts.final, golds, ref.get("answer_match")) if facts.answered else 0.0
        process = 0.5 * correct + 0.5 * process
    return round(min(1.0, max(0.0, process)), 3)


def _oracle_lines(facts: TrajectoryFacts, reference: dict[str, Any] | None) -> list[str]:
    """Hints computed from the reference (LEAKS privileged data; only with ``oracle_hints=True``)."""
    ref = reference if isinstance(reference, dict) else {}
    _, pages, tools = _coverage(facts, ref)
    lines = []
    if pages:
        names = ", ".join(repr(sanitize_agent_text(p))[:80] for p in pages[:5])
        lines.append(f"Oracle hint: a good solution opens {names}, which you never opened.")
    if tools:
        lines.append(f"Oracle hint: this task needs the tool(s) {', '.join(map(repr, tools))}, which you never used.")
    return lines


class ReferenceJudge:
    """Deterministic process judge: scores with the task's reference, writes from the trajectory alone.

    Args:
        oracle_hints: Append hints derived from the reference (unvisited gold pages, unused required tools) to the
            critique. **Leaks privileged data**; for curricula only, never the default.

    Example:
        >>> from rrm_gym.types import Trajectory, Turn
        >>> traj = Trajectory("t", "Who?", [Turn("# People", "click: People", info={"page": "People"}),
        ...                                 Turn("done", "\\\\boxed{Ada}", info={"final_answer": "Ada"})], "Ada")
        >>> judge = ReferenceJudge()
        >>> a = judge([JudgeRequest("Who?", traj, {"answer": "Ada", "gold_path": ["People", "Staff"]})])[0]
        >>> b = judge([JudgeRequest("Who?", traj, {"answer": "Bob"})])[0]
        >>> a.ok, 0 < a.score < 1, a.score != b.score, a.critique == b.critique, "Staff" in a.critique
        (True, True, True, True, False)
    """

    uses_reference = True

    def __init__(self, oracle_hints: bool = False) -> None:
        self.oracle_hints = bool(oracle_hints)
        self.name = "reference+oracle" if self.oracle_hints else "reference"
        self.version = VERSION
        self.writer = CritiqueWriter()

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch."""
        return [self._judge_one(r) for r in requests]

    def cache_key(self, request: JudgeRequest) -> dict[str, Any]:
        """What determines the judgement: the judge's version and options and the whole request (reference too)."""
        return {"version": self.version, "oracle_hints": self.oracle_hints, "request": request.to_dict()}

    def _judge_one(self, request: JudgeRequest) -> Judgement:
        start = time.perf_counter()
        trajectory: Trajectory = request.trajectory
        facts = analyse_trajectory(request.question, trajectory)
        score = score_attempt(facts, request.reference)  # the only place the reference is read
        critique, trace = self.writer(request.question, trajectory)  # never sees the reference
        if self.oracle_hints:
            critique = "\n".join([critique, *(f"- {line}" for line in _oracle_lines(facts, request.reference))])
        raw = f"<think>\n{trace}\n</think>\n<critique>\n{critique}\n</critique>\n<score>\n{score:.3f}\n</score>"
        return parse_judgement(raw, judge=self.name, latency_s=time.perf_counter() - start)
