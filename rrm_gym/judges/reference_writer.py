"""The text half of the reference judge: critique and trace written from the question and the trajectory alone.

Nothing in this module ever receives :attr:`JudgeRequest.reference`: :class:`CritiqueWriter` is called with a
question and a trajectory, and it first reduces the trajectory to :func:`public_view` — actions, observations and the
info keys in :data:`PUBLIC_INFO_KEYS` (what the agent itself saw); rewards and outcome flags such as
``is_success`` (verdicts derived from the gold answer) are dropped. So no reference field, and no gold-derived
verdict, can change a word of what it writes. Every observation is one an RRM reading the trajectory could make:
no final answer, a placeholder answer, answering without any tool use, invalid actions and why, failed python runs,
repeated actions, an answer that appears in no observation, passages sharing key words with the question that the
answer ignores, tool results nothing built on, and visible options (buttons, search results) never explored. Quoted
text comes from the trajectory only (observations, error messages, option labels) and never the agent's own final
answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rrm_gym.judges.prompt import sanitize_agent_text
from rrm_gym.tasks.scoring import normalize_answer
from rrm_gym.types import Trajectory, Turn

__all__ = ["CritiqueWriter", "TrajectoryFacts", "analyse_trajectory", "public_view", "PUBLIC_INFO_KEYS"]

PUBLIC_INFO_KEYS = frozenset(
    {"tool", "action_error", "page", "opened", "final_answer", "search_results", "python_exit_code",
     "python_killed_reason"}
)
_STOP = frozenset(str.split(
    "a an the of in on at to for from by with and or but is are was were be been being which what who whom whose "
    "when where why how did does do done has have had it its this that these those than then as into over under "
    "more most less least first earlier later higher lower larger smaller longer shorter same other one"
))
_BOILERPLATE = frozenset(str.split(
    "back click button buttons page pages current url use answer boxed search results result open title document "
    "documents tool call name arguments query code python final received invalid action error"
))
_PLACEHOLDERS = ("i do not know", "i dont know", "i don t know", "unknown", "no idea", "not sure", "n a", "none",
                 "cannot determine", "can not determine", "cannot be determined", "not known")
_BUTTON = re.compile(r"\[Button:\s*([^\]\n]{1,200})\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CHROME = ("Current page:", "URL:", "Use `click", "Buttons on this page", "This page has no", "Open a document",
           "Search results for", "You clicked", "You went back")
_MAX_QUOTE = 80
_SHOWN = 5


def public_view(trajectory: Trajectory) -> Trajectory:
    """The trajectory as an RRM reading it sees it: no task id, no rewards, only :data:`PUBLIC_INFO_KEYS`.

    Example:
        >>> t = Trajectory("t", "Who?", [Turn("Final answer received: Ada", "\\\\boxed{Ada}", 1.0,
        ...                                   {"final_answer": "Ada", "is_success": True})], "Ada")
        >>> v = public_view(t)
        >>> v.task_id, v.turns[0].reward, v.turns[0].info
        (None, 0.0, {'final_answer': 'Ada'})
    """
    turns = []
    for turn in trajectory.turns:
        info = turn.info if isinstance(turn.info, dict) else {}
        turns.append(Turn(str(turn.observation), str(turn.action), 0.0,
                          {k: info[k] for k in sorted(PUBLIC_INFO_KEYS) if k in info}))
    final = trajectory.final_answer
    return Trajectory(None, str(trajectory.question), tuple(turns), None if final is None else str(final))


def _words(text: str) -> set[str]:
    """Key words: normalised, no stop words, a plural ``s`` dropped (``departments`` matches ``department``)."""
    words = (w for w in normalize_answer(text).split() if w not in _STOP and (len(w) > 2 or w.isdigit()))
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words}


def _n(count: int, noun: str, plural: str = "") -> str:
    """``1 passage`` / ``3 passages``."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _quote(text: str) -> str:
    text = sanitize_agent_text(" ".join(str(text).split()))
    return "\"" + text[:_MAX_QUOTE] + ("..." if len(text) > _MAX_QUOTE else "") + "\""


def _steps(steps: list[int]) -> str:
    """``step 4`` / ``steps 2, 3 and 5``: every step listed, so counts always match."""
    if len(steps) == 1:
        return f"step {steps[0]}"
    return "steps " + ", ".join(str(s) for s in steps[:-1]) + f" and {steps[-1]}"


@dataclass
class TrajectoryFacts:
    """What the trajectory shows, computed from it alone (no reference).

    Attributes:
        steps: Number of turns.
        final: The final answer (``""`` when none).
        answered: Whether a non-empty final answer was given.
        placeholder: Whether that answer only says the agent does not know.
        tools: Tool names of successful tool calls, with counts.
        tool_steps: Steps with a successful tool call.
        invalid: Steps whose action was rejected; ``first_error`` is the first reason.
        repeats: Steps repeating an earlier action in the same state.
        python_failed: Steps whose python program failed (non-zero exit or killed).
        visited: Normalised titles of the pages / documents the agent was on or opened.
        observed: Normalised text of every observation before the final answer.
        answer_seen: Whether the final answer appears in a tool observation (``None``: no tool observations).
        relevant: ``(step, sentence)`` of observed sentences sharing key words with the question, best first.
        answer_uses_relevant: Whether the final answer shares a key word with one of them.
        unused: Steps whose tool result shares no key word with the question and that no later action nor the
            answer built on.
        options: Options shown in observations (buttons, search results), in order; ``explored`` those taken.
    """

    steps: int = 0
    final: str = ""
    answered: bool = False
    placeholder: bool = False
    tools: Counter = field(default_factory=Counter)
    tool_steps: list[int] = field(default_factory=list)
    invalid: list[int] = field(default_factory=list)
    first_error: str = ""
    repeats: list[int] = field(default_factory=list)
    python_failed: list[int] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    observed: str = ""
    answer_seen: bool | None = None
    relevant: list[tuple[int, str]] = field(default_factory=list)
    answer_uses_relevant: bool = False
    unused: list[int] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    explored: list[str] = field(default_factory=list)


def _options(info: dict[str, Any], observation: str) -> list[str]:
    found = [" ".join(b.split()) for b in _BUTTON.findall(observation)]
    results = info.get("search_results")
    if isinstance(results, list):
        found += [" ".join(str(r).split()) for r in results if str(r).strip()]
    return found


def analyse_trajectory(question: str, trajectory: Trajectory) -> TrajectoryFacts:
    """Everything the critique, the trace and the score's process part need, from question and trajectory only.

    Example:
        >>> t = Trajectory(None, "Who?", [Turn("Final answer received: x", "\\\\boxed{x}", info={"final_answer": "x"})],
        ...                "x")
        >>> f = analyse_trajectory("Who?", t)
        >>> f.answered, f.steps, f.tool_steps, f.answer_seen
        (True, 1, [], None)
    """
    traj = public_view(trajectory)
    turns = list(traj.turns)
    f = TrajectoryFacts(steps=len(turns))
    final = traj.final_answer
    if final is None:
        final = next((str(t.info["final_answer"]) for t in turns if t.info.get("final_answer")), None)
    f.final = (final or "").strip()
    f.answered = bool(f.final)
    f.placeholder = f.answered and normalize_answer(f.final).replace("'", "") in _PLACEHOLDERS
    question_words = _words(question)
    seen_pairs: set[tuple[str, str]] = set()
    state, observed, tool_text = "", [], []
    results: list[tuple[int, set[str]]] = []
    relevant: list[tuple[int, int, str]] = []  # (overlap, step, sentence)
    later: list[set[str]] = []  # words of each step's action (index = step - 1)
    shown: dict[str, str] = {}
    for step, turn in enumerate(turns, start=1):
        info = turn.info
        action_key = " ".join(turn.action.split()).lower()
        if (state, action_key) in seen_pairs and "final_answer" not in info:
            f.repeats.append(step)
        seen_pairs.add((state, action_key))
        later.append(_words(turn.action) | _words(str(info.get("opened") or "")))
        if info.get("action_error"):
            f.invalid.append(step)
            f.first_error = f.first_error or str(info["action_error"])
        elif info.get("tool"):
            f.tools[str(info["tool"])] += 1
            f.tool_steps.append(step)
            tool_text.append(normalize_answer(turn.observation))
            results.append((step, _words(turn.observation) - question_words - _words(turn.action) - _BOILERPLATE))
            for sentence in _SENTENCE.split(turn.observation):
                sentence = sentence.strip()
                if not sentence or len(sentence) > 400 or _BUTTON.search(sentence) or sentence.startswith(_CHROME):
                    continue
                overlap = len(_words(sentence) & question_words)
                if overlap >= min(2, len(question_words)):
                    relevant.append((overlap, step, sentence))
            if info.get("python_exit_code") not in (None, 0) or info.get("python_killed_reason"):
                f.python_failed.append(step)
        for key in ("page", "opened"):
            if info.get(key):
                f.visited.add(normalize_answer(str(info[key])))
        state = str(info.get("page") or info.get("opened") or state)
        if "final_answer" not in info:
            observed.append(normalize_answer(turn.observation))
            for option in _options(info, turn.observation):
                shown.setdefault(normalize_answer(option), option)
    f.observed = " \n ".join(observed)
    answer_words = _words(f.final) if f.answered and not f.placeholder else set()
    if tool_text and f.answered and not f.placeholder:
        f.answer_seen = f" {normalize_answer(f.final)} " in f" {' '.join(tool_text)} "
    relevant.sort(key=lambda item: -item[0])  # stable: ties keep their order
    f.relevant = [(step, text) for _, step, text in relevant]
    f.answer_uses_relevant = any(answer_words & _words(text) for _, text in f.relevant)
    relevant_steps = {step for _, step, _ in relevant}
    for step, words in results:  # a result bearing on the question is "read", not unused (e.g. one side of a compare)
        after = set().union(*later[step:], answer_words)
        if words and not (words & after) and step not in relevant_steps:
            f.unused.append(step)
    acted = " ".join(" ".join(normalize_answer(t.action).split()) for t in turns)
    for norm, option in shown.items():
        if norm and (norm in f.visited or f" {norm} " in f" {acted} "):
            f.explored.append(option)
    f.options = list(shown.values())
    return f


class CritiqueWriter:
    """Writes the reference judge's critique and trace; its only inputs are the question and the trajectory.

    Example:
        >>> t = Trajectory(None, "Who?", [Turn("Final answer received: I do not know", "\\\\boxed{I do not know}",
        ...                                     info={"final_answer": "I do not know"})], "I do not know")
        >>> critique, trace = CritiqueWriter()("Who?", t)
        >>> "without using any tool" in critique, trace.splitlines()[0]
        (True, 'Steps taken: 1; successful tool calls: 0; final answer given: yes.')
    """

    def __call__(self, question: str, trajectory: Trajectory) -> tuple[str, str]:
        """Return ``(critique, trace)`` for one attempt."""
        facts = analyse_trajectory(question, trajectory)
        return self.critique(question, facts), self.trace(facts)

    @staticmethod
    def _unexplored(question: str, f: TrajectoryFacts) -> list[str]:
        words = _words(question)
        left = [o for o in f.options if o not in f.explored]
        return sorted(left, key=lambda o: -len(_words(o) & words))  # stable: ties keep the order shown

    @staticmethod
    def _unexplored_line(left: list[str], shown: int) -> str:
        """The options never explored, every one accounted for: up to ``_SHOWN`` quoted, then ``and N more``."""
        quoted = [_quote(o) for o in left[:_SHOWN]]
        rest = len(left) - len(quoted)
        listed = ", ".join(quoted) + (f" and {rest} more" if rest else "")
        head = (f"You never explored any of the {shown} options shown to you" if len(left) == shown
                else f"You never explored {len(left)} of the {shown} options shown to you")
        return f"{head}: {listed}. Open the ones that bear on the question."

    def critique(self, question: str, f: TrajectoryFacts) -> str:
        """The critique lines for the facts of one attempt (a ``- `` bullet each)."""
        lines = []
        unsupported = not f.answered or f.placeholder or f.answer_seen is False
        if not f.answered:
            lines.append("You never gave a final answer: once you have found the information, answer in \\boxed{...}.")
        elif f.placeholder:
            lines.append("Your final answer only says that you do not know: find the information with the tools, "
                         "then answer with the value itself.")
        if f.answered and not f.tool_steps:
            when = "at your first step without using any tool" if f.steps == 1 else "without one successful tool call"
            lines.append(f"You answered {when}, so the answer rests on no evidence: use the tools to find the "
                         "information and read what they return before answering.")
        if f.invalid:
            n = len(f.invalid)
            lines.append(f"{n} of your actions {'was' if n == 1 else 'were'} invalid ({_steps(f.invalid)}; the first "
                         f"error: {_quote(f.first_error)}): use the exact tool-call format and only the options the "
                         "observation lists.")
        if f.python_failed:
            lines.append(f"Your python program failed at {_steps(f.python_failed)}: read the error and fix the program "
                         "before relying on its output.")
        if f.repeats:
            lines.append(f"You repeated the same action in the same state {_n(len(f.repeats), 'time')} "
                         f"({_steps(f.repeats)}): keep track of what you already tried instead of looping.")
        if f.answer_seen is False:
            lines.append("Your final answer does not appear in any tool result you saw: make sure it follows from "
                         "what the observations actually say.")
        if f.answered and not f.placeholder and f.relevant and not f.answer_uses_relevant:
            n, (step, text) = len(f.relevant), f.relevant[0]
            lines.append(f"You read {_n(n, 'passage')} sharing key words with the question (e.g. step {step}: "
                         f"{_quote(text)}), but your final answer uses none of them: re-read them before answering.")
            unsupported = True
        if f.unused:
            n = len(f.unused)
            was, it = ("was", "it") if n == 1 else ("were", "them")
            lines.append(f"{_n(n, 'tool result')} {was} never used ({_steps(f.unused)}): no later action or answer "
                         f"built on {it}.")
        left = self._unexplored(question, f)
        if unsupported and left:
            lines.append(self._unexplored_line(left, len(f.options)))
        if not lines:
            lines.append("The process is sound: the steps are purposeful, no action was wasted and the final answer "
                         "appears in what the observations showed.")
        return "\n".join(f"- {line}" for line in lines)

    @staticmethod
    def trace(f: TrajectoryFacts) -> str:
        """The reasoning trace: the counts the critique rests on."""
        tools = ", ".join(f"{name} {count}" for name, count in sorted(f.tools.items()))
        if f.answer_seen is not None:
            seen = "yes" if f.answer_seen else "no"
        else:
            seen = "n/a (" + ("no final answer" if not f.answered else "placeholder answer" if f.placeholder
                              else "no tool results") + ")"
        return "\n".join(
            [
                f"Steps taken: {f.steps}; successful tool calls: {len(f.tool_steps)}"
                + (f" ({sanitize_agent_text(tools)})" if tools else "")
                + f"; final answer given: {'yes' if f.answered else 'no'}.",
                f"Invalid actions: {len(f.invalid)}; repeated actions: {len(f.repeats)}; failed python runs: "
                f"{len(f.python_failed)}.",
                f"Final answer found in a tool result: {seen}; passages sharing key words with the question: "
                f"{len(f.relevant)}; tool results never used: {len(f.unused)}.",
                f"Options shown: {len(f.options)}; explored: {len(f.explored)}.",
            ]
        )
