"""``check_env_support``: what an env offers, and which ``rrm-gym`` commands and modes will work on it.

Like PettingZoo's ``api_test``, this ships inside the package: ``rrm_gym.check_env_support(env)`` in code,
``rrm-gym check ENV_ID`` on the command line. It probes the env (:func:`~rrm_gym.envs.probe.probe_env`) and turns the
facts into two tables: what the env offers (each row with the one change that would add what is missing) and what
works (each command or mode with the one change that would enable it). ``rrm-gym train`` and ``eval`` run the
same check, quickly, before any model is loaded, and stop with :meth:`EnvSupport.problem`'s one sentence when the
run cannot work (text spaces missing, C/U without task replay, SB3 without candidate actions).

Example:
    >>> import rrm_gym
    >>> report = check_env_support("rrm/WebWalker-v0", episodes=1)
    >>> report.usable, report.problem(feedback="unified", agent="sb3") is None
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rrm_gym.envs.probe import EnvFacts, probe_env

__all__ = ["check_env_support", "EnvSupport", "SupportRow", "EnvSupportError", "FIXES", "YES", "PARTIAL", "NO"]

YES, PARTIAL, NO = "yes", "partial", "no"

FIXES = {
    "text": "make observation_space and action_space gymnasium.spaces.Text (such as rrm_gym.envs.ProseText()) "
            "and exchange str",
    "replay": "set a stable info['task_id'] and restart that task on reset(options={'task_id': ...}), or make "
              "reset(seed=s) repeat the task (draw it from self.np_random after super().reset(seed=seed))",
    "broken": "restart the task named by options['task_id'] in reset (or leave info['task_id'] out to replay by "
              "seed)",
    "question": "put the question in info['question'] (judges otherwise read the whole first observation)",
    "candidates": "list the actions step() accepts now in info['valid_actions'] (or info['candidate_actions'])",
    "reference": "add a judge_reference() method returning, say, {'answer': gold} (privileged: never shown to the "
                 "agent)",
    "success": "set info['is_success'] in the info of an episode's last step",
    "split": "read options['split'] ('train' or 'test') in reset to hold out test tasks",
    "end": "end episodes (terminated) or give them a limit (register with max_episode_steps=N, or --env-opt "
           "max_episode_steps=N)",
    "tools": "subclass rrm_gym.envs.TextEnv to give the model one function per tool",
}
"""The one change that adds each missing piece."""


class EnvSupportError(ValueError):
    """The env cannot do what a command asks for; the message is one sentence that says why and what to change."""


@dataclass(frozen=True)
class SupportRow:
    """One row of a support table: a name, ``yes``/``partial``/``no``, what was seen and the change that helps."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class EnvSupport:
    """The result of :func:`check_env_support`.

    Attributes:
        env_id: The env checked.
        facts: The raw facts of the probe.
        offers: What the env offers (Gymnasium check, text spaces, question, replay, candidates, reference, ...).
        works: Which commands and modes will work.
    """

    env_id: str
    facts: EnvFacts
    offers: list[SupportRow] = field(default_factory=list)
    works: list[SupportRow] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Text spaces and no exception while probing: ``train``, ``eval``, ``play`` and ``judge`` can run."""
        return self.facts.text_spaces and self.facts.error is None

    def problem(self, feedback: str = "none", agent: str | None = None, action_mode: str = "choose") -> str | None:
        """One sentence on why a run with these settings cannot work on this env, or ``None`` when it can."""
        f, env = self.facts, self.env_id
        if not f.text_spaces:
            return (f"rrm-gym needs text observations and actions, but {env} has observation space "
                    f"{f.observation_space} and action space {f.action_space}: {FIXES['text']}.")
        if f.error is not None:
            return f"{env} failed while being played with random actions ({f.error}); fix the env first."
        if feedback in ("critique", "unified") and f.replay not in ("task_id", "seed"):
            why = (FIXES["broken"] if f.replay == "broken" else FIXES["replay"])
            return (f"--feedback {feedback} restarts the same task for the refinement, but {env} "
                    f"{_replay_text(f.replay)}: {why}, or use --feedback reward or none.")
        if agent == "sb3" and not f.concrete_candidates:
            return (f"--agent sb3 picks one of the env's candidate actions, but {env} offers none: "
                    f"{FIXES['candidates']}, or use --agent ppo, grpo or trl.")
        return None

    def require(self, feedback: str = "none", agent: str | None = None, action_mode: str = "choose") -> None:
        """Raise :class:`EnvSupportError` with :meth:`problem`'s sentence when the run cannot work."""
        message = self.problem(feedback, agent, action_mode)
        if message is not None:
            raise EnvSupportError(message)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (what ``rrm-gym check --json`` prints)."""
        rows = lambda rs: [vars(r) for r in rs]  # noqa: E731
        return {"env_id": self.env_id, "usable": self.usable, "offers": rows(self.offers),
                "works": rows(self.works), "facts": self.facts.to_dict()}

    def __str__(self) -> str:
        lines = [f"rrm-gym check {self.env_id}"]
        for title, rows in (("offers", self.offers), ("works", self.works)):
            lines.append(f"-- {title}")
            lines += [f"{r.status:8} {r.name}: {r.detail}" + (f" -> {r.fix}" if r.fix else "") for r in rows]
        return "\n".join(lines)


def _replay_text(replay: str) -> str:
    return {"task_id": "replays a task by info['task_id']", "seed": "replays a task by its reset seed",
            "broken": "sets info['task_id'] but reset(options={'task_id': ...}) starts another task",
            "none": "has no task_id and reset(seed=s) does not repeat the task"}[replay]


def _offers(f: EnvFacts) -> list[SupportRow]:
    gym_ok = YES if f.gym_check == "passed" else NO if f.gym_check.startswith("failed") else PARTIAL
    gym_detail = f.gym_check + (f" ({f.gym_warnings[0]})" if f.gym_warnings and gym_ok != YES else "")
    rows = [SupportRow("Gymnasium check_env", gym_ok, gym_detail[:300]),
            SupportRow("text spaces", YES if f.text_spaces else NO,
                       f"observation {f.observation_space}, action {f.action_space}",
                       "" if f.text_spaces else FIXES["text"])]
    if not f.text_spaces:
        return rows
    if f.error is not None:
        rows.append(SupportRow("runs with random actions", NO, f.error, "fix the env's reset/step"))
        return rows
    rows += [
        SupportRow("episodes end", YES if f.ended == f.episodes else PARTIAL,
                   f"{f.ended} of {f.episodes} random episodes ended within {f.max_steps} steps",
                   "" if f.ended == f.episodes else FIXES["end"]),
        SupportRow("question", YES if f.question else PARTIAL,
                   "info['question']" if f.question else "no info['question']: the first observation stands for it",
                   "" if f.question else FIXES["question"]),
        SupportRow("task replay (C/U)", YES if f.replay in ("task_id", "seed") else NO, _replay_text(f.replay),
                   "" if f.replay in ("task_id", "seed") else FIXES["broken" if f.replay == "broken" else "replay"]),
        SupportRow("candidate actions", YES if f.concrete_candidates else PARTIAL if f.candidates else NO,
                   f"from {f.candidates}" + ("" if f.concrete_candidates else " (templates only)") if f.candidates
                   else "none: learners have to write free text",
                   "" if f.concrete_candidates else FIXES["candidates"]),
        SupportRow("reference data", YES if f.reference else NO,
                   f"judge_reference() gives {', '.join(f.reference)}" if f.reference else "no judge_reference()",
                   "" if f.reference else FIXES["reference"]),
        SupportRow("success flag", YES if f.success_flag else NO,
                   "info['is_success'] at episode end" if f.success_flag else "no info['is_success']: success "
                   "counts as total reward > 0", "" if f.success_flag else FIXES["success"]),
        SupportRow("split option", YES if f.split == "honoured" else PARTIAL if f.split in ("ignored", "unknown")
                   else NO, f"reset(options={{'split': ...}}) {f.split}", "" if f.split == "honoured"
                   else FIXES["split"]),
        SupportRow("tool schemas (trl)", YES if f.tools else PARTIAL,
                   f"{f.tools} tool(s)" if f.tools else "none: the trl model replies with an answer call or text",
                   "" if f.tools else FIXES["tools"]),
    ]
    return rows


def _works(f: EnvFacts, support: EnvSupport) -> list[SupportRow]:
    if not support.usable:
        if not f.text_spaces:
            return [SupportRow("every command", NO, "the spaces are not text", FIXES["text"])]
        return [SupportRow("every command", NO, f"the env raised {f.error}", "fix the env's reset/step")]
    replay = f.replay in ("task_id", "seed")
    sb3 = f.concrete_candidates
    rows = [
        SupportRow("train --feedback none / reward (R)", YES, "outcome reward, plus λ·score under R"),
        SupportRow("train --feedback critique / unified (C/U)", YES if replay else NO,
                   f"the refinement restarts the task: the env {_replay_text(f.replay)}" if replay
                   else f"the env {_replay_text(f.replay)}",
                   "" if replay else FIXES["broken" if f.replay == "broken" else "replay"]),
        SupportRow("--judge reference", YES if f.reference else PARTIAL,
                   "scores with the reference" if f.reference else "scores the process only (no gold answer)",
                   "" if f.reference else FIXES["reference"]),
        SupportRow("--judge hf / openai / vllm", YES if f.question else PARTIAL,
                   "Agent-RRM prompt with the question" if f.question else "the first observation is the question",
                   "" if f.question else FIXES["question"]),
        SupportRow("--agent ppo / grpo --action-mode choose", YES if f.concrete_candidates else PARTIAL,
                   "chooses among the candidates" if f.concrete_candidates else "writes free text (no candidates)",
                   "" if f.concrete_candidates else FIXES["candidates"]),
        SupportRow("--agent ppo / grpo --action-mode generate", YES, "free text"),
        SupportRow("--agent grpo / trl groups", YES if replay else PARTIAL,
                   "a group plays one task" if replay else "a group may mix tasks",
                   "" if replay else FIXES["replay"]),
        SupportRow("--agent sb3", YES if sb3 else NO,
                   "MaskablePPO over the candidates" if sb3 else "no candidate actions to pick from",
                   "" if sb3 else FIXES["candidates"]),
        SupportRow("--agent trl", YES, f"{f.tools} tool(s) + answer" if f.tools else "answer call or plain text"),
        SupportRow("eval (success rate)", YES if f.success_flag else PARTIAL,
                   "info['is_success']" if f.success_flag else "success = total reward > 0",
                   "" if f.success_flag else FIXES["success"]),
        SupportRow("eval --split test (held out)", YES if f.split == "honoured" else PARTIAL,
                   "test tasks differ from train tasks" if f.split == "honoured"
                   else "evaluates on the training distribution", "" if f.split == "honoured" else FIXES["split"]),
        SupportRow("play, judge", YES, "text in, text out"),
    ]
    return rows


def check_env_support(env: str | gym.Env, *, episodes: int = 3, max_steps: int = 25, seed: int = 0,
                      gym_check: bool = True, env_kwargs: dict[str, Any] | None = None) -> EnvSupport:
    """Probe ``env`` (an id, ``module:Id``, or an env) and say what it offers and what works on it.

    Args:
        env: An env id (built with :func:`~rrm_gym.envs.from_id.make_task_env` and ``env_kwargs``) or an env.
        episodes: Episodes of random candidate actions.
        max_steps: Step cap per episode.
        seed: First reset seed.
        gym_check: Also run ``gymnasium.utils.env_checker.check_env`` (on ``env.unwrapped``).
        env_kwargs: ``gym.make`` kwargs for an id.

    Returns:
        An :class:`EnvSupport`; ``str()`` of it is a plain-text table, ``rrm-gym check`` prints it with colours.
    """
    if isinstance(env, str):
        from rrm_gym.envs.from_id import make_task_env

        env_id, built = env, make_task_env(env, **dict(env_kwargs or {}))
    else:
        env_id, built = None, env
    try:
        facts = probe_env(built, env_id=env_id, episodes=episodes, max_steps=max_steps, seed=seed,
                          gym_check=gym_check)
    finally:
        if isinstance(env, str):
            built.close()
    support = EnvSupport(facts.env_id, facts)
    support.offers = _offers(facts)
    support.works = _works(facts, support)
    return support
