"""Multi-turn rollouts of an :class:`~rrm_gym.agents.llm.policy.LLMPolicy` in a Gymnasium vector env.

:class:`RolloutCollector` steps the vector env one action per sub-env at a time (one batched ``generate`` for all
sub-envs that need an action) and records every turn as a :class:`TurnRecord`: the prompt and action tokens, their
log-probs and values, the reward the env (and its feedback wrappers) gave, and whether the episode ended. Rewards are
read from the env only; the judges live inside the wrappers.

It also keeps, per sub-env, a log of the running episode for the HTML report (:attr:`RolloutCollector.finished`)
and the judgements seen (``info["rrm"]``) for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rrm_gym.agents.llm.conversation import unbatch_infos
from rrm_gym.agents.llm.prompts import make_tracker
from rrm_gym.wrappers.hold import HOLD

__all__ = ["TurnRecord", "RolloutCollector", "episode_summary", "judge_stats", "wrapper_stats"]


@dataclass
class TurnRecord:
    """One agent turn: the action a sub-env received and what it earned.

    Attributes:
        env: Index of the sub-env.
        prompt_ids: Prompt tokens the action was generated from.
        action_ids: Action tokens.
        logprobs: Rollout log-probs of the action tokens.
        values: Rollout values at the action tokens (``None`` without a value head).
        reward: The step's reward (env reward plus whatever the wrappers added).
        done: The episode ended with this step (terminated or truncated).
        terminated: The episode terminated (not truncated) with this step.
        attempt: The attempt this action belongs to (1, 2, ... under C/U feedback).
        attempt_done: The attempt ended with this step.
        episode: Global id of the episode (unique within the collector).
        task_id: The task (``info["task_id"]``), when the env reports one.
        frozen: Hidden states below the LoRA layers kept from generation (``Generation.frozen``), or ``None``.
        choice: In ``choose`` mode, the :class:`~rrm_gym.agents.llm.choice.Choice` (then ``logprobs`` and
            ``values`` hold one entry: the turn is one decision); ``None`` for generated text.
        bootstrap: For a turn cut by a time limit (truncated, not terminated): the value of the state it led to,
            which GAE bootstraps from; ``None`` otherwise.

    Example:
        >>> TurnRecord(env=0, prompt_ids=[1, 2], action_ids=[3], logprobs=[-0.1], values=None, reward=1.0).done
        False
    """

    env: int
    prompt_ids: list[int]
    action_ids: list[int]
    logprobs: list[float]
    values: list[float] | None
    reward: float = 0.0
    done: bool = False
    terminated: bool = False
    attempt: int = 1
    attempt_done: bool = False
    episode: int = 0
    task_id: str | None = None
    frozen: Any = None
    choice: Any = None
    bootstrap: float | None = None

    @property
    def units(self) -> int:
        """Scored units of the action: its tokens for generated text, 1 for a choice."""
        return len(self.logprobs)


@dataclass
class _EpisodeLog:
    episode: int
    task_id: str | None
    question: str
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def new_attempt(self, observation: str) -> dict[str, Any]:
        attempt = {"attempt": len(self.attempts) + 1, "actions": [], "observations": [observation],
                   "reward_env": 0.0, "reward_rrm": 0.0, "reward": 0.0, "rrm": None, "is_success": None,
                   "final_answer": None}
        self.attempts.append(attempt)
        return attempt


def episode_summary(log: dict[str, Any]) -> dict[str, float]:
    """Totals of a finished episode log (as in :attr:`RolloutCollector.finished`)."""
    attempts = log["attempts"]
    last = attempts[-1] if attempts else {}
    return {
        "reward_env": float(sum(a["reward_env"] for a in attempts)),
        "reward_rrm": float(sum(a["reward_rrm"] for a in attempts)),
        "reward": float(sum(a["reward"] for a in attempts)),
        "success": float(bool(last.get("is_success"))),
    }


class RolloutCollector:
    """Steps a vector env with a policy and records turns, episodes and judgements.

    The policy owns the sampling distribution (temperature, action mode) and the prompt format
    (:func:`~rrm_gym.agents.llm.prompts.make_tracker`): the collector only asks it to ``act``.

    Args:
        policy: An :class:`~rrm_gym.agents.llm.policy.LLMPolicy` (anything with its ``act`` and ``state_values``).
        envs: A Gymnasium vector env with ``str`` observations and actions (feedback wrappers applied or not).

    Example:
        >>> collector = RolloutCollector(policy, envs)  # doctest: +SKIP
        >>> collector.reset(seed=0)  # doctest: +SKIP
        >>> turns = collector.step()  # doctest: +SKIP
    """

    def __init__(self, policy: Any, envs: Any) -> None:
        self.policy = policy
        self.envs = envs
        self.num_envs = int(envs.num_envs)
        mode = envs.metadata.get("autoreset_mode", "next_step")
        mode = {"nextstep": "next_step", "samestep": "same_step"}.get(
            str(getattr(mode, "value", mode)).lower().replace("_", ""), str(mode))
        if mode not in ("next_step", "same_step"):
            raise ValueError(f"the learners need NEXT_STEP or SAME_STEP autoreset, the env uses {mode!r}")
        self.tracker = make_tracker(policy, self.num_envs, mode)
        self.finished: list[dict[str, Any]] = []
        """Episode logs finished since the last :meth:`drain` (task_id, question, attempts, ...)."""
        self.judgements: list[dict[str, Any]] = []
        """``info["rrm"]`` dicts seen since the last :meth:`drain`."""
        self.env_steps = 0
        """Sub-env steps taken with a real action since the last :meth:`drain`."""
        self._logs: list[_EpisodeLog | None] = [None] * self.num_envs
        self._attempt = [1] * self.num_envs
        self._next_episode = 0
        self.started = False

    # ------------------------------------------------------------------ episodes
    def _start_episode(self, i: int, observation: str, info: dict[str, Any]) -> None:
        task = info.get("task_id")
        question = info.get("question") or observation
        self._logs[i] = _EpisodeLog(self._next_episode, None if task is None else str(task), str(question))
        self._logs[i].new_attempt(str(observation))
        self._next_episode += 1
        self._attempt[i] = int(info.get("attempt", 1) or 1)

    def reset(self, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None) -> list[str]:
        """Reset all sub-envs and start fresh conversations; returns the task ids (``""`` when unknown)."""
        obs, infos = self.envs.reset(seed=seed, options=options)
        obs = list(obs)
        per_env = unbatch_infos(infos, self.num_envs)
        self.tracker.reset(obs, per_env)
        for i in range(self.num_envs):
            self._start_episode(i, obs[i], per_env[i])
        self.started = True
        return [str(info.get("task_id", "")) for info in per_env]

    def drain(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """Return and clear (finished episodes, judgements, env steps) gathered so far."""
        out = (self.finished, self.judgements, self.env_steps)
        self.finished, self.judgements, self.env_steps = [], [], 0
        return out

    # ------------------------------------------------------------------ stepping
    def step(self, active: list[bool] | None = None) -> list[TurnRecord | None]:
        """One vector step: generate an action for every sub-env that needs one and step the envs.

        Sub-envs waiting for their NEXT_STEP autoreset get an empty action (the autoreset step ignores it);
        sub-envs with ``active[i]`` False get :data:`~rrm_gym.wrappers.hold.HOLD`, so they are not stepped,
        judged or logged (``make_vector_env`` puts a :class:`~rrm_gym.wrappers.hold.HoldWrapper` on each sub-env).

        Returns:
            One :class:`TurnRecord` per sub-env, ``None`` where no action was generated.
        """
        if not self.started:
            raise RuntimeError("call reset() before step()")
        n = self.num_envs
        wants = [not self.tracker.episode_done(i) and (active is None or bool(active[i])) for i in range(n)]
        idx = [i for i in range(n) if wants[i]]
        convs, infos = self.tracker.conversations(), self.tracker.infos()
        gens = self.policy.act([convs[i] for i in idx], [infos[i] for i in idx]) if idx else []
        # a sub-env waiting for its autoreset gets "" (ignored); an idle one is held, not stepped (wrappers.hold)
        actions = [HOLD if not wants[i] and not self.tracker.episode_done(i) else "" for i in range(n)]
        for i, gen in zip(idx, gens, strict=True):
            actions[i] = gen.text
        obs, rewards, terminated, truncated, infos = self.envs.step(actions)
        obs = list(obs)
        per_env = unbatch_infos(infos, n)
        records: list[TurnRecord | None] = [None] * n
        by_env = dict(zip(idx, gens, strict=True))
        cut: list[tuple[int, Any]] = []  # (env, tracker holding the final state) of time-limit truncations
        for i in range(n):
            info = per_env[i]
            was_pending = self.tracker.episode_done(i)
            if was_pending:  # NEXT_STEP autoreset: this is the reset observation of a new episode
                self._start_episode(i, obs[i], info)
                continue
            if i not in by_env:
                continue  # idle sub-env (GRPO waits for the others of the round)
            done = bool(terminated[i]) or bool(truncated[i])
            if done and self.tracker.autoreset_mode == "same_step":  # obs/info already belong to the next episode
                final_info = info.get("final_info") if isinstance(info.get("final_info"), dict) else info
                final_obs = info.get("final_obs", obs[i])
                records[i] = self._record(i, by_env[i], actions[i], str(final_obs), float(rewards[i]),
                                          bool(terminated[i]), bool(truncated[i]), final_info)
                if truncated[i] and not terminated[i]:
                    cut.append((i, self._final_state(i, actions[i], str(final_obs), final_info)))
                self._start_episode(i, obs[i], {k: v for k, v in info.items() if not k.startswith("final_")})
                continue
            records[i] = self._record(i, by_env[i], actions[i], obs[i], float(rewards[i]), bool(terminated[i]),
                                      bool(truncated[i]), info)
            if truncated[i] and not terminated[i]:
                cut.append((i, None))
        self.tracker.record(actions, obs, per_env, terminated, truncated)
        self._bootstrap(records, cut)
        return records

    def _final_state(self, i: int, action: str, final_obs: str, final_info: dict[str, Any]) -> Any:
        import copy

        tracker = copy.deepcopy(self.tracker)
        tracker.add_turn(i, action, final_obs, final_info)
        return tracker

    def _bootstrap(self, records: list[TurnRecord | None], cut: list[tuple[int, Any]]) -> None:
        """Value of the state a time-limit truncation led to (GAE bootstraps from it)."""
        if not cut or getattr(self.policy, "value_head", None) is None:
            return
        convs = [(tracker or self.tracker).conversations()[i] for i, tracker in cut]
        infos = [(tracker or self.tracker).infos()[i] for i, tracker in cut]
        for (i, _), value in zip(cut, self.policy.state_values(convs, infos), strict=True):
            record = records[i]
            if record is not None:
                record.bootstrap = float(value)

    def _record(self, i: int, gen: Any, action: str, obs: str, reward: float, terminated: bool, truncated: bool,
                info: dict[str, Any]) -> TurnRecord:
        self.env_steps += 1
        log = self._logs[i]
        assert log is not None
        attempt_no = self._attempt[i]
        new_attempt_no = int(info.get("attempt", attempt_no) or attempt_no)
        done = terminated or truncated
        attempt_done = done or new_attempt_no != attempt_no
        attempt = log.attempts[-1]
        attempt["actions"].append(action)
        if "rrm" in info and isinstance(info["rrm"], dict):
            self.judgements.append(info["rrm"])
            attempt["rrm"] = {k: info["rrm"].get(k) for k in ("score", "critique", "ok", "error", "cached")}
        attempt["reward_env"] += float(info.get("reward_env", reward))
        attempt["reward_rrm"] += float(info.get("reward_rrm", 0.0))
        attempt["reward"] += reward
        if attempt_done:
            previous = info.get("previous") if not done else None
            source = previous if isinstance(previous, dict) else info
            if "is_success" in source:
                attempt["is_success"] = bool(source["is_success"])
            if source.get("final_answer") is not None:
                attempt["final_answer"] = str(source["final_answer"])
            traj = info.get("trajectory")
            last_obs = obs
            if not done and isinstance(traj, dict) and traj.get("turns"):
                last_obs = str(traj["turns"][-1].get("observation", ""))
            attempt["observations"].append(last_obs)
        else:
            attempt["observations"].append(obs)
        record = TurnRecord(
            env=i, prompt_ids=list(gen.prompt_ids), action_ids=list(gen.action_ids), logprobs=list(gen.logprobs),
            values=None if gen.values is None else list(gen.values), reward=reward, done=done,
            terminated=terminated, attempt=attempt_no, attempt_done=attempt_done, episode=log.episode,
            task_id=log.task_id, frozen=getattr(gen, "frozen", None),
            choice=gen if hasattr(gen, "candidates") else None,
        )
        if done:
            self.finished.append({"episode": log.episode, "task_id": log.task_id, "question": log.question,
                                  "attempts": log.attempts, "terminated": terminated})
            self._logs[i] = None
        elif new_attempt_no != attempt_no:
            log.new_attempt(obs)  # the refinement observation: question, previous attempt, critique
            self._attempt[i] = new_attempt_no
        return record


def judge_stats(judgements: list[dict[str, Any]]) -> dict[str, float]:
    """Mean score of ok judgements, failures, mean latency and cache hits of a list of ``info["rrm"]`` dicts."""
    ok = [j for j in judgements if j.get("ok") and j.get("score") is not None]
    latencies = [float(j.get("latency_s") or 0.0) for j in judgements]
    return {
        "rrm_score": float(np.mean([float(j["score"]) for j in ok])) if ok else float("nan"),
        "judge_failures": float(sum(1 for j in judgements if not j.get("ok"))),
        "judge_latency_s": float(np.mean(latencies)) if latencies else 0.0,
        "cache_hits": float(sum(1 for j in judgements if j.get("cached"))),
        "judgements": float(len(judgements)),
    }


def wrapper_stats(envs: Any) -> dict[str, float] | None:
    """The feedback wrapper's cumulative ``stats`` dict (vector wrapper, or summed over sub-envs), if any."""
    stats = getattr(envs, "stats", None)
    if isinstance(stats, dict):
        return {k: float(v) for k, v in stats.items() if isinstance(v, (int, float))}
    try:
        per_env = envs.get_attr("stats")
    except Exception:  # noqa: BLE001 - foreign envs without such an attribute
        return None
    if not per_env or not all(isinstance(s, dict) for s in per_env):
        return None
    keys = set().union(*per_env)
    return {k: float(sum(float(s.get(k, 0) or 0) for s in per_env)) for k in keys}
