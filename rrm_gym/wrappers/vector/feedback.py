"""``VectorFeedbackWrapper``: C, R and U for ``gymnasium.vector`` envs, with one batched judge call per step.

All sub-envs that finish an attempt on the same step are judged together in a single call of the judge, so an
LLM judge sees a full batch. Steps are recorded as references into the vector env's batched ``infos`` (a sub-env's
info dict is only unbatched when a trajectory's turns are read), and the infos returned are built from the batched
arrays directly (:func:`~rrm_gym.wrappers.vector._infos.rebatch`), with the same keys, order, dtypes and masks as
unbatching every sub-env and batching again. Refinements restart only the sub-envs concerned, through ``reset`` with a
``reset_mask`` and the task's ``task_id`` (or its episode seed), so the other sub-envs keep running untouched.
Works with the ``NEXT_STEP`` (default), ``SAME_STEP`` and ``DISABLED`` autoreset modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv, VectorEnv, VectorWrapper

from rrm_gym.judges.base import Judge, call_judge, check_on_error
from rrm_gym.wrappers._attempt import AttemptRecorder, FeedbackSettings, decide, refinement_observation
from rrm_gym.wrappers.vector._infos import MISSING, batch_infos, info_value, rebatch, unbatch_infos, unbatch_one

__all__ = ["VectorFeedbackWrapper"]


class VectorFeedbackWrapper(VectorWrapper):
    """Judge finished attempts of all sub-envs in one batch and apply reward shaping and/or refinement.

    Use the named subclasses in :mod:`rrm_gym.wrappers.vector`. Observations come back as a tuple of ``str``.

    Args:
        env: A vector env of text envs (``SyncVectorEnv`` or ``AsyncVectorEnv``).
        judge: A judge callable; called once per step with every attempt that ended on that step.
        settings: What to do with judgements.
    """

    def __init__(self, env: VectorEnv, judge: Judge, settings: FeedbackSettings):
        super().__init__(env)
        if not callable(judge):
            raise TypeError(f"judge must be callable (list[JudgeRequest] -> list[Judgement]), got {judge!r}")
        check_on_error(settings.on_error)
        self.judge = judge
        self.settings = settings
        self.autoreset_mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        n = self.num_envs
        self.stats: dict[str, float] = {"judge_calls": 0, "judged_attempts": 0, "failures": 0,
                                        "judge_latency_s": 0.0, "refinements": 0}
        self._recorders = [AttemptRecorder() for _ in range(n)]
        self._attempts = [1] * n
        self._pending = [False] * n
        self._episode_seeds: list[int | None] = [None] * n
        self._reset_options: dict[str, Any] = {}
        self._seed_rng = np.random.default_rng()
        self._has_reference: bool | None = None
        self._hooks: dict[int, Any] = {}

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset (all sub-envs, or those in ``options["reset_mask"]``) and start attempt 1."""
        n = self.num_envs
        options = dict(options or {})
        mask = options.get("reset_mask")
        mask = np.ones(n, dtype=np.bool_) if mask is None else np.asarray(mask, dtype=np.bool_)
        if isinstance(seed, int):
            self._seed_rng = np.random.default_rng(seed)
            seeds: list[int | None] = [seed + i for i in range(n)]
        elif seed is None:
            seeds = [int(s) for s in self._seed_rng.integers(2**31 - 1, size=n)]
        else:
            seeds = list(seed)
        self._reset_options = {k: v for k, v in options.items() if k != "reset_mask"}
        obs, infos = self.env.reset(seed=seeds, options=dict(options))
        per = unbatch_infos(infos, n)
        started = [i for i in range(n) if mask[i]]
        for i in started:
            self._attempts[i] = 1
            self._pending[i] = False
            self._episode_seeds[i] = seeds[i]
        self._start({i: (obs[i], per[i].get("question"), per[i].get("task_id")) for i in started})
        for i in range(n):
            per[i].update(attempt=int(self._attempts[i]), reward_env=0.0, reward_rrm=0.0)
        return obs, batch_infos(per)

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step all sub-envs; judge the attempts that ended, in one batch; shape and/or refine."""
        n = self.num_envs
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        obs = list(obs)
        rewards = np.asarray(rewards, dtype=np.float64).copy()
        terms, truncs = np.asarray(terms).copy(), np.asarray(truncs).copy()
        reward_env = rewards.copy()
        started, finished = self._record(actions, obs, reward_env.tolist(), (terms | truncs).tolist(), infos)

        attempts = self._attempts
        success = {i: self._recorders[i].is_success for i in finished}
        to_judge = [i for i in finished if self.settings.needs_judge(attempts[i], success[i])]
        judgements = self._judge(to_judge)
        reward_rrm = np.zeros(n, dtype=np.float64)
        rrm: dict[int, Any] = {}
        trajectories: dict[int, Any] = {}
        refine: list[tuple[int, str]] = []
        for i in finished:
            judgement = judgements.get(i)
            outcome = decide(self.settings, judgement, attempts[i], success[i])
            rewards[i] += outcome.reward_rrm
            reward_rrm[i] = outcome.reward_rrm
            if judgement is not None:
                rrm[i] = judgement.to_dict()
                trajectories[i] = self._recorders[i].trajectory()
            if outcome.refine:
                refine.append((i, outcome.critique))
            elif self.autoreset_mode == AutoresetMode.SAME_STEP:
                started.append(i)  # already reset by the vector env; obs[i] is the new episode's
                attempts[i] = 1
                self._episode_seeds[i] = info_value(infos, i, "episode_seed")
            elif self.autoreset_mode == AutoresetMode.NEXT_STEP:
                self._pending[i] = True

        replaced: dict[int, dict[str, Any]] = {}
        fresh: dict[int, tuple[Any, Any, Any]] = {}
        for i, critique in refine:
            previous = self._recorders[i]
            new_obs, reset_info = self._reset_one(i, previous.task_id)
            attempts[i] += 1
            self.stats["refinements"] += 1
            obs[i] = refinement_observation(new_obs, previous, critique, attempts[i])
            terms[i] = truncs[i] = False
            carried = {"rrm": rrm.get(i), "trajectory": trajectories.get(i),
                       "reward_env": float(reward_env[i]), "reward_rrm": float(reward_rrm[i])}
            replaced[i] = {**reset_info, **{k: v for k, v in carried.items() if v is not None},
                           "previous": previous.summary()}
            fresh[i] = (new_obs, reset_info.get("question"), reset_info.get("task_id"))
        for i in started:
            fresh.setdefault(i, (obs[i], info_value(infos, i, "question"), info_value(infos, i, "task_id")))
        self._start(fresh)
        for i, info in replaced.items():
            info["attempt"] = attempts[i]
        extras = [("reward_env", reward_env), ("reward_rrm", reward_rrm), ("rrm", rrm), ("trajectory", trajectories),
                  ("attempt", np.array(attempts, dtype=np.int64))]
        return tuple(obs), rewards, terms, truncs, rebatch(infos, n, extras, replaced)

    # ------------------------------------------------------------------ helpers
    def _record(self, actions: Any, obs: list[Any], rewards: list[float], done: list[bool],
                infos: dict[str, Any]) -> tuple[list[int], list[int]]:
        """Record each sub-env's step as a reference into the batched ``infos`` (nothing is unbatched)."""
        started, finished = [], []
        same_step = self.autoreset_mode == AutoresetMode.SAME_STEP
        final_info = infos.get("final_info") if same_step else None
        final_mask = infos.get("_final_info")
        n = self.num_envs
        answers, successes = _column(infos, "final_answer", n), _column(infos, "is_success", n)
        held = _column(infos, "held", n) if "held" in infos else {}
        pending, recorders = self._pending, self._recorders
        for i in range(n):
            if held.get(i):  # HoldWrapper: the learner left this sub-env untouched; not a step of any attempt
                continue
            if pending[i]:  # NEXT_STEP autoreset step: this sub-env just started a new episode
                pending[i] = False
                self._attempts[i] = 1
                self._episode_seeds[i] = info_value(infos, i, "episode_seed")
                started.append(i)
                continue
            if done[i] and same_step:
                final_obs = info_value(infos, i, "final_obs", obs[i])
                if isinstance(final_info, dict) and (final_mask is None or final_mask[i]):
                    recorders[i].steps.append((actions[i], final_obs, rewards[i], final_info, i,
                                               info_value(final_info, i, "final_answer"),
                                               info_value(final_info, i, "is_success", MISSING)))
                else:
                    recorders[i].record(actions[i], final_obs, rewards[i], info_value(infos, i, "final_info") or {})
            else:
                recorders[i].steps.append((actions[i], obs[i], rewards[i], infos, i, answers.get(i),
                                           successes.get(i, MISSING)))
            if done[i]:
                finished.append(i)
        return started, finished

    def _judge(self, indices: list[int]) -> dict[int, Any]:
        if not indices:
            return {}
        requests = [self._recorders[i].request() for i in indices]
        judgements = call_judge(self.judge, requests, on_error=self.settings.on_error)
        self.stats["judge_calls"] += 1
        self.stats["judged_attempts"] += len(indices)
        for j in judgements:
            self.stats["judge_latency_s"] += j.latency_s / len(indices)
            self.stats["failures"] += 0 if j.ok else 1
        return dict(zip(indices, judgements, strict=True))

    def _reset_one(self, i: int, task_id: str | None) -> tuple[str, dict[str, Any]]:
        n = self.num_envs
        mask = np.zeros(n, dtype=np.bool_)
        mask[i] = True
        options = {**self._reset_options, "reset_mask": mask}
        seeds: list[int | None] = [None] * n
        if task_id is not None:
            options["task_id"] = task_id
        elif self._episode_seeds[i] is not None:
            seeds[i] = self._episode_seeds[i]
        else:
            raise RuntimeError(
                f"cannot restart the task of sub-env {i} for a refinement: its env reports no info['task_id'] and "
                "the episode seed is unknown (it was auto-reset). Wrap each sub-env in "
                "rrm_gym.wrappers.EpisodeSeedWrapper so its episodes can be replayed."
            )
        obs, infos = self.env.reset(seed=seeds, options=options)
        return obs[i], unbatch_one(infos, i)

    def _start(self, fresh: dict[int, tuple[Any, Any, Any]]) -> None:
        """Start new attempts: ``fresh[i] = (first observation, info["question"], info["task_id"])``."""
        if not fresh:
            return
        indices = sorted(fresh)
        refs = self._references(indices)
        for i, ref in zip(indices, refs, strict=True):
            self._recorders[i] = AttemptRecorder()
            self._recorders[i].begin(*fresh[i], ref)

    def _references(self, indices: list[int]) -> list[dict[str, Any] | None]:
        """The privileged data (``judge_reference()``) of the sub-envs ``indices``, or ``None`` each."""
        if self._has_reference is None:
            try:
                self._has_reference = all(self.env.call("has_wrapper_attr", "judge_reference"))
            except Exception:  # noqa: BLE001 - a foreign vector env without `call` support
                self._has_reference = False
        if not self._has_reference:
            return [None] * len(indices)
        base = self.env.unwrapped
        if isinstance(base, SyncVectorEnv):  # in-process sub-envs: ask only those that start an attempt
            refs = [self._hook(base, i)() for i in indices]
        else:
            every = self.env.call("judge_reference")
            refs = [every[i] for i in indices]
        return [dict(r) if isinstance(r, dict) else None for r in refs]

    def _hook(self, base: SyncVectorEnv, i: int) -> Any:
        hook = self._hooks.get(i)
        if hook is None:
            hook = self._hooks[i] = base.envs[i].get_wrapper_attr("judge_reference")
        return hook


def _column(infos: dict[str, Any], key: str, n: int) -> dict[int, Any]:
    """``{i: info_value(infos, i, key)}`` for the sub-envs that have ``key`` (one pass over its mask)."""
    if key not in infos:
        return {}
    mask = infos.get(f"_{key}")
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_ and mask.shape == (n,):
        return {i: info_value(infos, i, key) for i, f in enumerate(mask.tolist()) if f}
    return {i: v for i in range(n) if (v := info_value(infos, i, key, MISSING)) is not MISSING}
