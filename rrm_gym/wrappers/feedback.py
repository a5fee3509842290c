"""``FeedbackWrapper``: the one mechanism behind the C, R and U wrappers for a single env.

It records each attempt itself (so it works on any env with ``str`` observations and actions; one tuple per step,
the trajectory's turns are built only when read), calls the judge once per finished attempt, and then, depending
on its settings, shapes the reward (R), restarts the same task with the critique in the observation (C), or both
(U).
"""

from __future__ import annotations

import random
from typing import Any, SupportsFloat

import gymnasium as gym

from rrm_gym.judges.base import Judge, call_judge, check_on_error, judge_name
from rrm_gym.types import Judgement
from rrm_gym.wrappers._attempt import AttemptRecorder, FeedbackSettings, decide, refinement_observation

__all__ = ["FeedbackWrapper", "get_reference"]


def get_reference(env: gym.Env) -> dict[str, Any] | None:
    """Privileged task data from an env that offers ``judge_reference()`` (our envs), else ``None``."""
    try:
        method = env.get_wrapper_attr("judge_reference")
    except AttributeError:
        return None
    try:
        ref = method()
    except Exception:  # noqa: BLE001 - a foreign env's hook must not break a step
        return None
    return dict(ref) if isinstance(ref, dict) else None


class FeedbackWrapper(gym.Wrapper[str, str, str, str]):
    """Judge every finished attempt of a text env and feed the judgement back as reward and/or critique.

    Use the named subclasses :class:`~rrm_gym.wrappers.ShapedRewardWrapper` (R),
    :class:`~rrm_gym.wrappers.CritiqueObservationWrapper` (C) and :class:`~rrm_gym.wrappers.UnifiedWrapper` (U).

    Args:
        env: Any env whose observations and actions are ``str``.
        judge: A judge callable (``list[JudgeRequest] -> list[Judgement]``).
        settings: What to do with judgements.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> from rrm_gym.judges.base import judge_name
        >>> from rrm_gym.types import Judgement
        >>> judge = lambda reqs: [Judgement(score=1.0, critique="Fine.") for _ in reqs]
        >>> env = FeedbackWrapper(gym.make("rrm/WebWalker-v0"), judge, FeedbackSettings(shape=True, refine=False))
        >>> obs, info = env.reset(seed=0)
        >>> info["attempt"]
        1
    """

    def __init__(self, env: gym.Env, judge: Judge, settings: FeedbackSettings):
        super().__init__(env)
        if not callable(judge):
            raise TypeError(f"judge must be callable (list[JudgeRequest] -> list[Judgement]), got {judge!r}")
        check_on_error(settings.on_error)
        self.judge = judge
        self.settings = settings
        self.stats: dict[str, float] = {"judge_calls": 0, "judged_attempts": 0, "failures": 0,
                                        "judge_latency_s": 0.0, "refinements": 0}
        self._recorder = AttemptRecorder()
        self._attempt = 1
        self._reset_seed: int | None = None
        self._reset_options: dict[str, Any] = {}
        self._seed_rng: random.Random | None = None
        self._replay_by_seed = True
        self._reference_hook: Any = None  # the env's bound ``judge_reference`` (looked up once), or False

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Reset the env and start attempt 1 (the seed used is kept to replay the task for a refinement)."""
        if seed is not None or self._seed_rng is None:
            self._seed_rng = random.Random(seed)
        if seed is None and self._replay_by_seed:
            seed = self._seed_rng.randrange(2**31 - 1)  # so the task can be replayed for a refinement
        self._reset_seed = seed
        self._reset_options = dict(options or {})
        obs, info = self.env.reset(seed=seed, options=dict(self._reset_options))
        self._replay_by_seed = info.get("task_id") is None  # envs with task ids are replayed by id, not seed
        self._attempt = 1
        self._recorder.start(obs, info, self._reference())
        return obs, {**info, "attempt": 1, "reward_env": 0.0, "reward_rrm": 0.0}

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env; at the end of an attempt judge it and apply the feedback."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        reward_env = float(reward)
        self._recorder.steps.append((action, obs, reward_env, info, None, None, None))  # raw; turns are built when read
        if terminated or truncated:  # the attempt's last info is copied: it will carry the judgement
            return self._end_attempt(obs, reward_env, terminated, truncated, dict(info))
        if type(info) is not dict:
            info = dict(info)
        # Added in place, as Gymnasium's own wrappers do (a recorded turn's info leaves these keys out).
        info["attempt"] = self._attempt
        info["reward_env"] = reward_env
        info["reward_rrm"] = 0.0
        return obs, reward_env, terminated, truncated, info

    def _end_attempt(self, obs: str, reward_env: float, terminated: bool, truncated: bool,
                     info: dict[str, Any]) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        info["attempt"], info["reward_env"] = self._attempt, reward_env
        success = self._recorder.is_success
        judgement = self._judge() if self.settings.needs_judge(self._attempt, success) else None
        outcome = decide(self.settings, judgement, self._attempt, success)
        if judgement is not None:
            info["rrm"] = judgement.to_dict()
            info["trajectory"] = self._recorder.trajectory()
        info["reward_rrm"] = outcome.reward_rrm
        shaped = reward_env + outcome.reward_rrm
        if not outcome.refine:
            return obs, shaped, terminated, truncated, info

        previous = self._recorder
        new_obs, reset_info = self._replay_task(previous.task_id)
        self._attempt += 1
        self.stats["refinements"] += 1
        self._recorder = AttemptRecorder()
        self._recorder.start(new_obs, reset_info, self._reference())
        refined = refinement_observation(new_obs, previous, outcome.critique, self._attempt)
        out_info = {**reset_info, "attempt": self._attempt, "reward_env": reward_env,
                    "reward_rrm": outcome.reward_rrm, "previous": previous.summary()}
        for key in ("rrm", "trajectory"):
            if key in info:
                out_info[key] = info[key]
        return refined, shaped, False, False, out_info

    # ------------------------------------------------------------------ helpers
    def _judge(self) -> Judgement:
        [judgement] = call_judge(self.judge, [self._recorder.request()], on_error=self.settings.on_error)
        self.stats["judge_calls"] += 1
        self.stats["judged_attempts"] += 1
        self.stats["judge_latency_s"] += judgement.latency_s
        if not judgement.ok:
            self.stats["failures"] += 1
        return judgement

    def _reference(self) -> dict[str, Any] | None:
        """:func:`get_reference` of the env, with the wrapper-chain lookup of ``judge_reference`` done once."""
        hook = self._reference_hook
        if hook is None:
            try:
                hook = self.env.get_wrapper_attr("judge_reference")
            except AttributeError:
                hook = False
            self._reference_hook = hook
        if hook is False:
            return None
        try:
            ref = hook()
        except Exception:  # noqa: BLE001 - a foreign env's hook must not break a step
            return None
        return dict(ref) if isinstance(ref, dict) else None

    def _replay_task(self, task_id: str | None) -> tuple[str, dict[str, Any]]:
        options = dict(self._reset_options)
        if task_id is not None:
            options["task_id"] = task_id
            return self.env.reset(options=options)
        return self.env.reset(seed=self._reset_seed, options=options)

    @property
    def attempt(self) -> int:
        """The current attempt number (1-based)."""
        return self._attempt

    def __repr__(self) -> str:
        s = self.settings
        return (f"<{type(self).__name__} judge={judge_name(self.judge)} lam={s.lam} "
                f"max_refinements={s.max_refinements} refine={s.refine_when} on_error={s.on_error}{self.env}>")
