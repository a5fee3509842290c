"""Behaviour policies that generate trajectories worth judging: random actions and scripted solvers with mistakes.

A judge learns nothing from a set where every attempt is alike, so the collector mixes policies:

* ``random``: a random candidate action (``info["candidate_actions"]``) at each step;
* ``solver``: a scripted solver that follows the task's gold path and answers with the gold answer;
* ``solver:<mistake>``: the same solver with one injected mistake — ``detour`` (a wrong button or document, then
  back), ``invalid`` (a malformed or impossible action), ``repeat`` (the same action twice in the same state),
  ``wrong`` (a wrong answer the agent saw), ``unseen`` (a wrong answer it never saw), ``early`` (a wrong answer half
  way), ``placeholder`` (``I do not know``), ``noanswer`` (stops without answering).

The solvers read the privileged gold path and answer (``env.unwrapped.task``); that is the only place they are read
for collection. What the student judge is trained on is the recorded trajectory alone (question, actions,
observations), never the plan. Scripted solvers exist for ``rrm/WebWalker-v0`` and ``rrm/MultiHopQA-v0``; other
envs use ``random``, ``llm`` (see :mod:`rrm_gym.distill.llm_policy`) or trajectories from files.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MISTAKES", "Policy", "RandomPolicy", "ScriptedPolicy", "make_policy", "has_solver"]

MISTAKES = ("detour", "invalid", "repeat", "wrong", "unseen", "early", "placeholder", "noanswer")
_BOXED = re.compile(r"\\boxed\{(.*)\}\s*$", re.DOTALL)
_INVALID = (
    "click: {made_up}",
    'open: {made_up}',
    '<tool_call>{{"name": "lookup", "arguments": {{"q": "{made_up}"}}}}</tool_call>',
    "I will now check the page about {made_up}.",
)
_PLACEHOLDER = "\\boxed{I do not know}"


class Policy:
    """Base class: ``start`` at reset, then ``act`` each step; ``act`` returning ``None`` stops the attempt.

    Example:
        >>> class Giveup(Policy):
        ...     def act(self, observation, info):
        ...         return "answer: none"
        >>> Giveup().act("obs", {})
        'answer: none'
    """

    name = "policy"

    def start(self, env: Any, observation: str, info: dict[str, Any], rng: random.Random) -> None:
        """Begin an episode (``env`` is the unwrapped env)."""
        self.rng = rng

    def act(self, observation: str, info: dict[str, Any]) -> str | None:
        """The next action, or ``None`` to stop without answering."""
        raise NotImplementedError


class RandomPolicy(Policy):
    """A uniformly random candidate action each step (tool actions and candidate answers alike).

    Example:
        >>> import gymnasium as gym, random, rrm_gym
        >>> env = gym.make("rrm/WebWalker-v0")
        >>> obs, info = env.reset(seed=0)
        >>> policy = RandomPolicy()
        >>> policy.start(env.unwrapped, obs, info, random.Random(0))
        >>> policy.act(obs, info) in info["candidate_actions"]
        True
    """

    name = "random"

    def act(self, observation: str, info: dict[str, Any]) -> str | None:
        """A random candidate, ``\\boxed{I do not know}`` when the env offers none."""
        options = [a for a in (info.get("candidate_actions") or info.get("valid_actions") or []) if "…" not in a]
        return self.rng.choice(options) if options else _PLACEHOLDER


def _boxed_values(info: dict[str, Any]) -> list[str]:
    """The values of the candidate final answers an env offers now."""
    values = []
    for action in info.get("candidate_actions") or []:
        match = _BOXED.search(str(action))
        if match:
            values.append(match.group(1).strip())
    return values


def _webwalker_plan(env: Any) -> list[str]:
    """Clicks along every gold trail, going back to the common ancestor between trails."""
    site, task = env.site, env.task
    trails = task.reference.get("gold_paths") or [[site.name, *task.reference.get("gold_path", [])]]
    plan: list[str] = []
    stack = [site.root]
    for trail in trails:
        titles = list(trail[1:]) if trail and trail[0] == site.pages[site.root].title else list(trail)
        target: list[str] = [site.root]
        for title in titles:
            page = site.pages[target[-1]]
            hit = next((p for label, p in page.buttons if site.pages[p].title == title or label == title), None)
            if hit is None:
                break
            target.append(hit)
        common = 0
        while common < min(len(stack), len(target)) and stack[common] == target[common]:
            common += 1
        plan += ["back:"] * (len(stack) - common)
        for path in target[common:]:
            parent = site.pages[site.pages[path].parent or site.root]
            plan.append("click: " + next(label for label, p in parent.buttons if p == path))
        stack = target
    return plan


def _multihop_plan(env: Any) -> list[str]:
    from rrm_gym.envs.search_index import keywords

    question = env.task.question
    gold = list(env.judge_reference().get("gold_path") or [])
    return [f"search: {keywords(question) or question[:200]}", *(f"open: {title}" for title in gold)]


_PLANNERS: dict[str, Callable[[Any], list[str]]] = {"WebWalkerEnv": _webwalker_plan, "MultiHopQAEnv": _multihop_plan}


def has_solver(env: Any) -> bool:
    """Whether a scripted solver exists for this (unwrapped) env."""
    return type(env).__name__ in _PLANNERS


class ScriptedPolicy(Policy):
    """Follows the gold path, answers with the gold answer, and makes at most one injected mistake.

    Args:
        mistake: ``None`` for a clean solve, else one of :data:`MISTAKES`.

    Example:
        >>> import gymnasium as gym, random, rrm_gym
        >>> env = gym.make("rrm/MultiHopQA-v0")
        >>> obs, info = env.reset(seed=0)
        >>> policy = ScriptedPolicy()
        >>> policy.start(env.unwrapped, obs, info, random.Random(0))
        >>> done = False
        >>> while not done:
        ...     obs, reward, done, _, info = env.step(policy.act(obs, info))
        >>> info["is_success"]
        True
    """

    def __init__(self, mistake: str | None = None) -> None:
        if mistake is not None and mistake not in MISTAKES:
            raise ValueError(f"unknown mistake {mistake!r}; choose from {', '.join(MISTAKES)}")
        self.mistake = mistake
        self.name = "solver" if mistake is None else f"solver:{mistake}"

    def start(self, env: Any, observation: str, info: dict[str, Any], rng: random.Random) -> None:
        """Plan the episode from the env's gold data."""
        super().start(env, observation, info, rng)
        kind = type(env).__name__
        if kind not in _PLANNERS:
            raise ValueError(f"no scripted solver for {kind}; use the random or llm policy, or a JSONL file")
        self.env = env
        self.golds = [str(a) for a in (env.task.answers or ())]
        self.plan = _PLANNERS[kind](env)
        self.index = 0
        self.answer: str | None = f"\\boxed{{{self.golds[0]}}}" if self.golds else _PLACEHOLDER
        self.insert_at = rng.randint(0, max(0, len(self.plan) - 1))
        self.pending: list[str] = []
        self.seen_values: list[str] = []
        if self.mistake in ("early", "placeholder", "noanswer") and self.plan:
            cut = rng.randint(1, len(self.plan)) if self.mistake == "noanswer" else rng.randint(0, len(self.plan) - 1)
            self.plan = self.plan[: max(0, cut)]
        if self.mistake == "noanswer":
            self.answer = None
        elif self.mistake == "placeholder":
            self.answer = _PLACEHOLDER

    def _made_up(self) -> str:
        return self.rng.choice(["Contact", "Archive", "Press Room", "Summary", "Overview", "History of the place"])

    def _wrong_value(self, info: dict[str, Any], seen: bool) -> str:
        """A wrong answer: one the agent saw (a candidate answer / a value on the way) or one it never saw."""
        scorer = getattr(self.env, "score_answer", None)

        def ok(value: str) -> bool:
            return bool(value) and not (scorer(value) >= 1.0 if scorer else value in self.golds)

        if seen:
            values = [v for v in _boxed_values(info) + self.seen_values if ok(v)]
            if values:
                return self.rng.choice(values)
        options = [str(o) for o in (getattr(getattr(self.env, "_mh", None), "meta", {}) or {}).get("options", [])]
        wrong_options = [o for o in options if ok(o)]
        if wrong_options and seen:
            return wrong_options[0]
        fakes = ["1874", "Lakeside Hall", "Maria Keller", "the north campus", "42", "Riverton", "Northwind Ltd"]
        return self.rng.choice([f for f in fakes if ok(f)] or fakes)

    def act(self, observation: str, info: dict[str, Any]) -> str | None:
        """The next planned action (with the mistake injected at its place)."""
        self.seen_values += [v for v in _boxed_values(info) if v not in self.seen_values]
        if self.pending:
            return self.pending.pop(0)
        if self.index == self.insert_at and self.mistake in ("detour", "invalid", "repeat") and not getattr(
                self, "_injected", False):
            self._injected = True
            self.pending = self._injection(info)
            if self.pending:
                return self.pending.pop(0)
        if self.index < len(self.plan):
            self.index += 1
            return self.plan[self.index - 1]
        if self.answer is None:
            return None
        if self.mistake in ("wrong", "early"):
            self.answer = f"\\boxed{{{self._wrong_value(info, seen=True)}}}"
        elif self.mistake == "unseen":
            self.answer = f"\\boxed{{{self._wrong_value(info, seen=False)}}}"
        answer, self.answer = self.answer, None
        return answer

    def _injection(self, info: dict[str, Any]) -> list[str]:
        tools = [a for a in info.get("valid_actions") or [] if not a.startswith("back") and "\\boxed" not in a]
        nxt = self.plan[self.index] if self.index < len(self.plan) else None
        if self.mistake == "invalid":
            return [self.rng.choice(_INVALID).format(made_up=self._made_up())]
        if self.mistake == "detour":
            wrong = [a for a in tools if a != nxt and not a.startswith("search")]
            if not wrong:
                return []
            back = ["back:"] if type(self.env).__name__ == "WebWalkerEnv" else []
            return [self.rng.choice(wrong), *back]
        # repeat: the same action twice in the same state
        if type(self.env).__name__ == "WebWalkerEnv" and nxt and nxt.startswith("click"):
            # then the plan clicks it again from the same page; at the start the state before the first action
            # is not yet a page, so loop twice there
            return [nxt, "back:"] if self.index else [nxt, "back:", nxt, "back:"]
        bad = self.rng.choice(_INVALID[:2]).format(made_up=self._made_up())
        return [nxt, nxt] if nxt and nxt.startswith("search") else [bad, bad]


def make_policy(spec: str, **kwargs: Any) -> Policy:
    """Build a policy from its name: ``random``, ``solver``, ``solver:<mistake>`` or ``llm``.

    Example:
        >>> make_policy("solver:detour").name
        'solver:detour'
    """
    if spec == "random":
        return RandomPolicy()
    if spec == "solver":
        return ScriptedPolicy()
    if spec.startswith("solver:"):
        return ScriptedPolicy(spec.split(":", 1)[1])
    if spec == "llm":
        from rrm_gym.distill.llm_policy import LLMPolicy

        return LLMPolicy(**kwargs)
    raise ValueError(f"unknown policy {spec!r}: random, solver, solver:<{'|'.join(MISTAKES)}> or llm")
