"""``EpisodeLog``: the outermost vector wrapper of a training run; it records finished episodes for metrics/reports.

It watches what any learner sends and gets back — actions, observations, ``info["reward_env"]``,
``info["reward_rrm"]``, ``info["rrm"]`` (the judgement), ``info["attempt"]`` — and keeps, per finished episode,
every attempt with its turns, env reward, λ·score, judge score, critique, cache hit and latency. It changes nothing
it passes through, so the learner still reads its rewards from the feedback wrappers only.

Works with Gymnasium's ``NEXT_STEP`` (default), ``SAME_STEP`` and ``DISABLED`` autoreset modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from rrm_gym.agents.llm.conversation import unbatch_infos

__all__ = ["EpisodeLog", "EpisodeTracker", "summarise_episodes"]

_ACTION_CHARS = 600


def _clip(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + " […]"


class EpisodeTracker:
    """Records the episode of one env, attempt by attempt, from what goes in and out of ``step``.

    Args:
        max_obs_chars: Observations are clipped to this many characters.

    Example:
        >>> tracker = EpisodeTracker()
        >>> tracker.start("Question: 2+2?", {"task_id": "t1", "question": "2+2?"})
        >>> ep = tracker.record("\\\\boxed{4}", "Final answer received: 4", 1.0, True, False,
        ...                     {"is_success": True, "final_answer": "4"})
        >>> ep["success"], ep["return_env"], ep["attempts"][0]["final_answer"]
        (True, 1.0, '4')
    """

    def __init__(self, max_obs_chars: int = 1500) -> None:
        self.max_obs_chars = max_obs_chars
        self.episode: dict[str, Any] | None = None

    def start(self, observation: Any, info: dict[str, Any]) -> None:
        """Begin a new episode from a reset observation and info."""
        self.episode = {"task_id": info.get("task_id"),
                        "question": str(info.get("question") or _clip(observation, 400)),
                        "attempts": [self._new_attempt(1, observation)], "return_shaped": 0.0, "num_steps": 0}

    def record(self, action: Any, observation: Any, reward: float, terminated: bool, truncated: bool,
               info: dict[str, Any]) -> dict[str, Any] | None:
        """Record one step; return the finished episode when this step ended it, else ``None``."""
        ep = self.episode
        if ep is None:
            raise RuntimeError("EpisodeTracker.record() before start()")
        done = terminated or truncated
        att = ep["attempts"][-1]
        reward_env = float(info.get("reward_env", reward))
        att["reward_env"] += reward_env
        att["reward_rrm"] += float(info.get("reward_rrm", 0.0))
        ep["return_shaped"] += float(reward)
        ep["num_steps"] += 1
        refined = "previous" in info and not done
        shown = "(the attempt ended; a refinement started)" if refined else observation
        att["turns"].append({"action": _clip(action, _ACTION_CHARS), "observation": _clip(shown, self.max_obs_chars),
                             "reward": reward_env})
        if refined:
            previous = info.get("previous") or {}
            self._close_attempt(att, info, previous.get("is_success"), previous.get("final_answer"))
            ep["attempts"].append(self._new_attempt(int(info.get("attempt", len(ep["attempts"]) + 1)), observation))
            return None
        if not done:
            return None
        self._close_attempt(att, info, info.get("is_success"), info.get("final_answer"))
        self.episode = None
        attempts = ep["attempts"]
        ep["return_env"] = sum(a["reward_env"] for a in attempts)
        ep["return_rrm"] = sum(a["reward_rrm"] for a in attempts)
        ep["success"] = bool(attempts[-1]["is_success"])
        ep["first_attempt_success"] = bool(attempts[0]["is_success"])
        return ep

    def _new_attempt(self, number: int, observation: Any) -> dict[str, Any]:
        return {"attempt": number, "observation": _clip(observation, self.max_obs_chars), "turns": [],
                "final_answer": None, "reward_env": 0.0, "reward_rrm": 0.0, "is_success": None}

    def _close_attempt(self, att: dict[str, Any], info: dict[str, Any], success: Any, answer: Any) -> None:
        att["is_success"] = bool(success)  # an attempt that ended without success info (no answer) failed
        if answer is not None:
            att["final_answer"] = str(answer)
        traj = info.get("trajectory")
        if hasattr(traj, "to_dict"):  # a Trajectory, or its dict
            traj = traj.to_dict()
        if isinstance(traj, dict) and isinstance(traj.get("turns"), list) and traj["turns"]:
            att["turns"] = [{"action": _clip(t.get("action", ""), _ACTION_CHARS),
                             "observation": _clip(t.get("observation", ""), self.max_obs_chars),
                             "reward": float(t.get("reward", 0.0))} for t in traj["turns"]]
            if att["final_answer"] is None and traj.get("final_answer") is not None:
                att["final_answer"] = str(traj["final_answer"])
        rrm = info.get("rrm")
        if isinstance(rrm, dict):
            att.update(score=rrm.get("score"), critique=rrm.get("critique") or "", trace=rrm.get("trace") or "",
                       judge_ok=bool(rrm.get("ok", True)), judge_error=rrm.get("error"),
                       cached=bool(rrm.get("cached")), latency_s=float(rrm.get("latency_s") or 0.0))


class EpisodeLog(VectorWrapper):
    """Record finished episodes (all attempts, judge results, rewards kept apart) of a vector env.

    Args:
        env: The (feedback-wrapped) vector env the learner trains on.
        max_obs_chars: Observations are clipped to this many characters in the records.

    Attributes:
        env_steps: Agent steps taken so far (auto-reset steps, whose action the env ignores, are not counted).
        finished: Finished episodes not yet taken by :meth:`pop_finished`.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> envs = EpisodeLog(gym.make_vec("rrm/WebWalker-v0", num_envs=2))
        >>> _ = envs.reset(seed=0)
        >>> _ = envs.step(["\\\\boxed{no idea}", "\\\\boxed{no idea}"])
        >>> [ep["success"] for ep in envs.pop_finished()]
        [False, False]
    """

    def __init__(self, env: VectorEnv, max_obs_chars: int = 1500) -> None:
        super().__init__(env)
        self.autoreset_mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        self.env_steps = 0
        self.finished: list[dict[str, Any]] = []
        self._trackers = [EpisodeTracker(max_obs_chars) for _ in range(self.num_envs)]
        self._pending = [False] * self.num_envs

    def pop_finished(self) -> list[dict[str, Any]]:
        """Return and forget the episodes finished since the last call."""
        out, self.finished = self.finished, []
        return out

    @property
    def stats(self) -> dict[str, float] | None:
        """The inner feedback wrapper's cumulative ``stats`` (judge calls, failures, ...), if it has any."""
        stats = getattr(self.env, "stats", None)
        return stats if isinstance(stats, dict) else None

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset (all or ``options["reset_mask"]``) and start recording the new episodes."""
        obs, infos = self.env.reset(seed=seed, options=options)
        per = unbatch_infos(infos, self.num_envs)
        mask = (options or {}).get("reset_mask")
        for i in range(self.num_envs):
            if mask is None or bool(np.asarray(mask)[i]):
                self._pending[i] = False
                self._trackers[i].start(obs[i], per[i])
        return obs, infos

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        """Step and record."""
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        per = unbatch_infos(infos, self.num_envs)
        for i in range(self.num_envs):
            tracker, info = self._trackers[i], per[i]
            if self._pending[i] or tracker.episode is None:  # NEXT_STEP autoreset: the action was ignored
                self._pending[i] = False
                tracker.start(obs[i], info)
                continue
            if info.get("held"):  # a sub-env the learner left untouched (rrm_gym.wrappers.hold)
                continue
            self.env_steps += 1
            done = bool(terms[i]) or bool(truncs[i])
            step_obs, step_info = obs[i], info
            if done and self.autoreset_mode == AutoresetMode.SAME_STEP:
                step_obs = info.get("final_obs", obs[i])
                step_info = {**(info.get("final_info") or {}),
                             **{k: info[k] for k in ("rrm", "trajectory", "reward_env", "reward_rrm") if k in info}}
            ep = tracker.record(actions[i], step_obs, float(rewards[i]), bool(terms[i]), bool(truncs[i]), step_info)
            if ep is not None:
                self.finished.append(ep)
                if self.autoreset_mode == AutoresetMode.SAME_STEP:
                    tracker.start(obs[i], info)  # the step already returned the new episode's observation
                elif self.autoreset_mode == AutoresetMode.NEXT_STEP:
                    self._pending[i] = True
        return obs, rewards, terms, truncs, infos


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def summarise_episodes(episodes: list[dict[str, Any]]) -> dict[str, float]:
    """Per-iteration metrics of finished episodes: env reward, judge score and shaped reward kept apart.

    Keys: ``episodes``, ``reward_env_mean``, ``reward_rrm_mean``, ``reward_shaped_mean``, ``judge_score_mean``,
    ``success_rate``, ``first_attempt_success_rate``, ``attempts_mean``, ``episode_steps_mean``,
    ``judged_attempts``, ``judge_cache_hits``, ``judge_failures``, ``judge_latency_mean_s``, ``refinements``.

    Example:
        >>> row = summarise_episodes([{"return_env": 1.0, "return_rrm": 0.3, "return_shaped": 1.3, "success": True,
        ...     "first_attempt_success": True, "num_steps": 2, "attempts": [{"score": 1.0, "judge_ok": True}]}])
        >>> row["reward_shaped_mean"], row["judge_score_mean"], row["success_rate"]
        (1.3, 1.0, 1.0)
    """
    attempts = [a for ep in episodes for a in ep["attempts"]]
    judged = [a for a in attempts if "judge_ok" in a]
    scores = [float(a["score"]) for a in judged if a.get("judge_ok") and a.get("score") is not None]
    return {
        "episodes": len(episodes),
        "reward_env_mean": _mean([ep["return_env"] for ep in episodes]),
        "reward_rrm_mean": _mean([ep["return_rrm"] for ep in episodes]),
        "reward_shaped_mean": _mean([ep["return_shaped"] for ep in episodes]),
        "judge_score_mean": _mean(scores),
        "success_rate": _mean([float(ep["success"]) for ep in episodes]),
        "first_attempt_success_rate": _mean([float(ep["first_attempt_success"]) for ep in episodes]),
        "attempts_mean": _mean([float(len(ep["attempts"])) for ep in episodes]),
        "episode_steps_mean": _mean([float(ep["num_steps"]) for ep in episodes]),
        "judged_attempts": len(judged),
        "judge_cache_hits": sum(1 for a in judged if a.get("cached")),
        "judge_failures": sum(1 for a in judged if not a.get("judge_ok")),
        "judge_latency_mean_s": _mean([float(a.get("latency_s", 0.0)) for a in judged if not a.get("cached")]),
        "refinements": sum(max(0, len(ep["attempts"]) - 1) for ep in episodes),
    }
