"""``probe_env``: run an env a few episodes with random candidate actions and record what it offers.

The facts (:class:`EnvFacts`) are what the rest of the library relies on: text spaces, ``info["question"]``, task
replay (by ``task_id`` or by reset seed: what C/U and GRPO groups need), candidate actions (the ``choose`` mode and
SB3), privileged reference data (``judge_reference()``, for the reference judge), ``info["is_success"]``, the
``split`` reset option and episodes that end. :mod:`rrm_gym.envs.support` turns them into verdicts. Nothing here
raises on a misbehaving env: an exception is recorded as :attr:`EnvFacts.error`.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym

from rrm_gym.envs.candidates import candidate_actions, fill_template, is_template

__all__ = ["EnvFacts", "probe_env", "text_spaces", "space_repr"]

_REPLAY_OFFSET = 7919
_SPLIT_SEEDS = 3
_FILL = "42"


@dataclass
class EnvFacts:
    """What :func:`probe_env` saw.

    Attributes:
        env_id: The id (or the env's class name).
        observation_space: ``repr`` of the observation space.
        action_space: ``repr`` of the action space.
        text_spaces: Both spaces are ``gymnasium.spaces.Text``.
        gym_check: ``gymnasium.utils.env_checker.check_env`` result: ``"passed"``, ``"passed with N warnings"``,
            ``"failed: ..."`` or ``"not run"``.
        gym_warnings: The checker's warnings (first line of each).
        error: The exception a reset or step raised while probing, or ``None``.
        episodes: Episodes played.
        ended: Episodes that ended (terminated or truncated) within the step cap.
        max_steps: The step cap per episode.
        question: ``info["question"]`` is a non-empty string at reset.
        task_id: ``info["task_id"]`` is set at reset.
        replay: ``"task_id"`` (``reset(options={"task_id": ...})`` restarts it), ``"seed"`` (``reset(seed=s)``
            repeats the task), ``"broken"`` (a task id the env does not restart) or ``"none"``.
        candidates: Where candidate actions come from (``"candidate_actions"``, ``"valid_actions"``,
            ``"answer_actions()"``), or ``""`` for none.
        concrete_candidates: Some candidates are complete actions (not only templates to fill in).
        reference: ``judge_reference()`` keys with a value (empty: no reference data).
        success_flag: ``info["is_success"]`` was set at the end of an episode.
        split: ``"honoured"``, ``"ignored"``, ``"unknown"`` or ``"rejected: ..."`` for the ``split`` reset option.
        tools: Tool schemas of a :class:`~rrm_gym.envs.base.TextEnv` (what the TRL model gets as functions).
    """

    env_id: str
    observation_space: str = ""
    action_space: str = ""
    text_spaces: bool = False
    gym_check: str = "not run"
    gym_warnings: list[str] = field(default_factory=list)
    error: str | None = None
    episodes: int = 0
    ended: int = 0
    max_steps: int = 0
    question: bool = False
    task_id: bool = False
    replay: str = "none"
    candidates: str = ""
    concrete_candidates: bool = False
    reference: list[str] = field(default_factory=list)
    success_flag: bool = False
    split: str = "unknown"
    tools: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return asdict(self)


def text_spaces(env: gym.Env) -> bool:
    """Whether both spaces of ``env`` are ``gymnasium.spaces.Text`` (str observations and actions)."""
    return isinstance(env.observation_space, gym.spaces.Text) and isinstance(env.action_space, gym.spaces.Text)


def space_repr(space: Any) -> str:
    """A short ``repr`` of a space (a ``Text`` space without its long charset)."""
    if isinstance(space, gym.spaces.Text):
        return f"{type(space).__name__}({space.min_length}, {space.max_length})"
    text = repr(space)
    return text if len(text) <= 80 else text[:77] + "..."


def _first_line(text: Any) -> str:
    lines = str(text).strip().splitlines()
    return (lines[0] if lines else "")[:300]


def _gym_check(env: gym.Env) -> tuple[str, list[str]]:
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check_env(env.unwrapped, skip_render_check=True, skip_close_check=True)
        except Exception as exc:  # noqa: BLE001 - any failure is the result
            return f"failed: {type(exc).__name__}: {_first_line(exc)}", [_first_line(w.message) for w in caught]
    found = list(dict.fromkeys(_first_line(w.message) for w in caught))
    return ("passed" if not found else f"passed with {len(found)} warning(s)"), found


def _hook(env: gym.Env, name: str) -> Any:
    try:
        method = env.get_wrapper_attr(name)
    except AttributeError:
        return None
    return method if callable(method) else None


def _answer_actions(env: gym.Env) -> list[str]:
    method = _hook(env, "answer_actions")
    try:
        return [a for a in (method() if method else []) or [] if isinstance(a, str)]
    except Exception:  # noqa: BLE001 - a foreign hook must not stop the probe
        return []


class _Probe:
    def __init__(self, env: gym.Env, facts: EnvFacts, seed: int) -> None:
        self.env, self.facts, self.seed = env, facts, seed
        self.rng = random.Random(seed)

    def note(self, info: dict[str, Any], at_reset: bool = False) -> list[str]:
        f = self.facts
        if at_reset:
            f.question = f.question or bool(isinstance(info.get("question"), str) and info["question"].strip())
            f.task_id = f.task_id or info.get("task_id") is not None
            ref = _hook(self.env, "judge_reference")
            try:
                data = ref() if ref else None
            except Exception:  # noqa: BLE001
                data = None
            if isinstance(data, dict):
                f.reference = sorted(set(f.reference) | {str(k) for k, v in data.items() if v not in (None, "", [])})
        cands = list(candidate_actions(info) or [])
        source = next((k for k in ("candidate_actions", "valid_actions") if info.get(k) is not None), "")
        extra = [a for a in _answer_actions(self.env) if a not in cands]
        if extra and not source:
            source = "answer_actions()"
        cands += extra
        if cands and not f.candidates:
            f.candidates = source
        f.concrete_candidates = f.concrete_candidates or any(not is_template(c) for c in cands)
        return cands

    def act(self, cands: list[str]) -> str:
        if cands:
            return fill_template(self.rng.choice(cands), _FILL)
        return str(self.env.action_space.sample())

    def episodes(self, n: int, max_steps: int) -> None:
        for ep in range(n):
            _, info = self.env.reset(seed=self.seed + ep)
            cands = self.note(info, at_reset=True)
            self.facts.episodes += 1
            for _ in range(max_steps):
                _, _, terminated, truncated, info = self.env.step(self.act(cands))
                cands = self.note(info)
                if terminated or truncated:
                    self.facts.ended += 1
                    self.facts.success_flag = self.facts.success_flag or "is_success" in info
                    break

    def replay(self) -> str:
        obs_a, info_a = self.env.reset(seed=self.seed)
        task = info_a.get("task_id")
        self.env.reset(seed=self.seed + _REPLAY_OFFSET)
        if task is not None:
            _, info_b = self.env.reset(options={"task_id": task})
            return "task_id" if info_b.get("task_id") == task else "broken"
        obs_b, _ = self.env.reset(seed=self.seed)
        return "seed" if obs_a == obs_b else "none"

    def split(self) -> str:
        try:
            seen = {}
            for name in ("train", "test"):
                seen[name] = [self.env.reset(seed=self.seed + k, options={"split": name}) for k in range(_SPLIT_SEEDS)]
        except Exception as exc:  # noqa: BLE001 - an env that rejects the option
            return f"rejected: {type(exc).__name__}: {_first_line(exc)}"
        if all("split" in info for runs in seen.values() for _, info in runs):
            ok = all(info["split"] == name for name, runs in seen.items() for _, info in runs)
            return "honoured" if ok else "ignored"
        if self.facts.replay not in ("task_id", "seed"):
            return "unknown"
        same = [a[0] == b[0] for a, b in zip(seen["train"], seen["test"], strict=True)]
        return "ignored" if all(same) else "honoured"


def probe_env(env: gym.Env, *, env_id: str | None = None, episodes: int = 3, max_steps: int = 25, seed: int = 0,
              gym_check: bool = True) -> EnvFacts:
    """Play ``episodes`` episodes of random candidate actions (at most ``max_steps`` each) and record the facts.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> facts = probe_env(gym.make("rrm/WebWalker-v0"), episodes=1, gym_check=False)
        >>> facts.text_spaces, facts.replay, facts.candidates
        (True, 'task_id', 'candidate_actions')
    """
    name = env_id or (env.spec.id if env.spec is not None else type(env.unwrapped).__name__)
    facts = EnvFacts(name, space_repr(env.observation_space), space_repr(env.action_space), text_spaces(env),
                     max_steps=max_steps)
    if gym_check:
        facts.gym_check, facts.gym_warnings = _gym_check(env)
    if not facts.text_spaces:
        return facts
    probe = _Probe(env, facts, seed)
    try:
        probe.episodes(episodes, max_steps)
        facts.replay = probe.replay()
        facts.split = probe.split()
    except Exception as exc:  # noqa: BLE001 - recorded, reported in one sentence
        facts.error = f"{type(exc).__name__}: {_first_line(exc)}"
    hook = getattr(env.unwrapped, "_tools", None)
    try:
        facts.tools = len(list(hook())) if callable(hook) else 0
    except Exception:  # noqa: BLE001
        facts.tools = 0
    return facts
