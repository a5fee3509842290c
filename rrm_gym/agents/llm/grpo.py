"""GRPO for an :class:`~rrm_gym.agents.llm.policy.LLMPolicy` over a Gymnasium vector env, with attempt-level rewards.

Per iteration, for each of ``config.tasks_per_iteration`` tasks:

1. **Group rollout** — every sub-env is reset to the SAME task (the same reset seed for all sub-envs, plus
   ``options={"task_id": ...}`` when the env names its tasks) and plays it to the end of the episode; rounds repeat
   until ``group_size`` episodes are in. Under C/U feedback an episode holds several attempts (the refined attempt
   sees the critique of the first).
2. **Attempt rewards** — an attempt's reward is the sum of the rewards of its steps as the env (and its wrappers:
   outcome + λ·score under R/U) gave them. Every attempt of every episode of the task is one member of the group,
   so under U/C the refined attempts join the group of their task (``2n`` members for ``n`` episodes), as in the
   paper.
3. **Advantages** — ``(r - mean(group)) / (std(group) + eps)``, the same for every token of the attempt. No value
   head.
4. **Update** — clipped ratio loss averaged over action tokens, k3 KL to the reference (adapter disabled),
   gradient-norm clipping, Adam on the LoRA parameters.

The paper's settings: ``group_size=8``, ``learning_rate=5e-6``, ``temperature=0.7``; the defaults are smaller for a
CPU (see :class:`~rrm_gym.agents.llm.config.GRPOConfig`). Rewards come from the env only: no judge is called here.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from rrm_gym.agents.llm.common import (
    CheckpointMixin,
    WrapperStatsDelta,
    check_sampling,
    kl_k3,
    pad_rows,
    reference_logprobs,
    rollout_metrics,
    run_update_epochs,
    score_rows,
)
from rrm_gym.agents.llm.config import GRPOConfig
from rrm_gym.agents.llm.rollout import RolloutCollector, TurnRecord

__all__ = ["GRPO", "group_advantages"]


def group_advantages(rewards: list[float], eps: float = 1e-4, scale: bool = True) -> list[float]:
    """Group-normalised advantages ``(r - mean) / (std + eps)`` (sample std; only ``r - mean`` if not ``scale``).

    Example:
        >>> [round(a, 3) for a in group_advantages([1.0, 0.0, 0.0, 1.0])]
        [0.866, -0.866, -0.866, 0.866]
    """
    r = np.asarray(rewards, dtype=np.float64)
    centred = r - r.mean()
    if not scale or len(r) < 2:
        return centred.tolist()
    return (centred / (r.std(ddof=1) + eps)).tolist()


class GRPO(CheckpointMixin):
    """Group-relative policy optimisation on a vector env whose feedback wrappers provide the rewards.

    Args:
        policy: An :class:`~rrm_gym.agents.llm.policy.LLMPolicy` with LoRA (a value head, if any, is left alone).
        envs: A Gymnasium vector env of text envs, feedback wrappers already applied.
        config: Hyper-parameters.

    Attributes:
        last_groups: The groups of the latest iteration: ``{"task_id", "members": [{"episode", "attempt",
            "reward", "advantage", "turns"}]}``.

    Example:
        >>> from rrm_gym.agents.llm.policy import LLMPolicy
        >>> from rrm_gym.wrappers import make_vector_env
        >>> envs = make_vector_env("rrm/WebWalker-v0", 4, feedback="unified", judge="reference")  # doctest: +SKIP
        >>> learner = GRPO(LLMPolicy(value_head=False), envs, GRPOConfig(group_size=4))  # doctest: +SKIP
        >>> stats = learner.iteration()  # doctest: +SKIP
    """

    def __init__(self, policy: Any, envs: Any, config: GRPOConfig | None = None) -> None:
        self.policy = policy
        self.envs = envs
        self.config = config or GRPOConfig()
        if self.config.kl_coef > 0 and not policy.has_adapter:
            raise ValueError("the KL penalty needs a LoRA adapter (LLMPolicy(lora=True)) or kl_coef=0")
        self.params = [p for p in policy.model.parameters() if p.requires_grad]
        if not self.params:
            raise ValueError("the policy has no trainable parameters (use LLMPolicy(lora=True))")
        self.optimizer = torch.optim.Adam(self.params, lr=self.config.learning_rate, eps=1e-8)
        check_sampling(policy)
        self.collector = RolloutCollector(policy, envs)
        self.rng = np.random.default_rng(self.config.seed)
        self.iterations = 0
        self.env_steps = 0
        self.episodes = 0
        self.last_groups: list[dict[str, Any]] = []
        self._recent: deque[dict[str, Any]] = deque(maxlen=self.config.recent_episodes)
        self._wrapper_stats = WrapperStatsDelta(envs)

    @property
    def recent_episodes(self) -> list[dict[str, Any]]:
        """The latest finished episodes (task_id, question, attempts with actions, observations, rewards, rrm)."""
        return list(self._recent)

    # ------------------------------------------------------------------ 1. group rollout
    def collect_group(self) -> tuple[str | None, list[TurnRecord]]:
        """Play one task on every sub-env until ``group_size`` episodes finished; return (task_id, turns)."""
        n = self.collector.num_envs
        seed = int(self.rng.integers(2**31 - 1))
        task_id: str | None = None
        turns: list[TurnRecord] = []
        for round_no in range(math.ceil(self.config.group_size / n)):
            ids = self.collector.reset(seed=[seed] * n, options={"task_id": task_id} if task_id else None)
            if round_no == 0 and ids[0] and len(set(ids)) > 1:  # the env does not map equal seeds to equal tasks
                ids = self.collector.reset(seed=[seed] * n, options={"task_id": ids[0]})
            task_id = ids[0] or None
            active = [True] * n
            for _ in range(self.config.max_round_steps):
                if not any(active):
                    break
                for i, record in enumerate(self.collector.step(active)):
                    if record is not None:
                        turns.append(record)
                        active[i] = active[i] and not record.done
        return task_id, turns

    # ------------------------------------------------------------------ 2.+3. attempt rewards and advantages
    def group(self, task_id: str | None, turns: list[TurnRecord]) -> tuple[dict[str, Any], list[float]]:
        """Make every finished attempt a group member; return the group and each turn's advantage."""
        members: dict[tuple[int, int], dict[str, Any]] = {}
        for turn in turns:
            key = (turn.episode, turn.attempt)
            member = members.setdefault(key, {"episode": turn.episode, "attempt": turn.attempt, "reward": 0.0,
                                              "turns": 0, "complete": False, "task_id": turn.task_id})
            member["reward"] += turn.reward
            member["turns"] += 1
            member["complete"] = member["complete"] or turn.attempt_done
        complete = [m for m in members.values() if m["complete"]]  # a round cut short leaves partial attempts
        advantages = group_advantages([m["reward"] for m in complete], self.config.adv_eps, self.config.scale_rewards)
        for member, adv in zip(complete, advantages, strict=True):
            member["advantage"] = adv
        turn_adv = [members[(t.episode, t.attempt)].get("advantage", math.nan) for t in turns]
        return {"task_id": task_id, "members": complete}, turn_adv

    # ------------------------------------------------------------------ 4. update
    def prepare(self, rows: dict[str, list[Any]]) -> None:
        """Add reference log-probs (the adapter disabled) to ``rows``, in place."""
        rows["ref_logprobs"] = reference_logprobs(self.policy, rows) if self.config.kl_coef > 0 else []

    def loss(self, rows: dict[str, list[Any]], idx: Sequence[int]) -> tuple[torch.Tensor, dict[str, float]]:
        """The GRPO loss of the turns ``idx`` of prepared rows (token mean over the minibatch), and its parts."""
        cfg = self.config
        width = max(len(rows["logprobs"][i]) for i in idx)
        scores = score_rows(self.policy, rows, idx, with_values=False)
        mask = scores.mask.float()
        count = mask.sum().clamp(min=1.0)
        device = scores.logprobs.device
        old_logp = pad_rows([rows["logprobs"][i] for i in idx], width).to(device)
        adv = torch.tensor([rows["advantages"][i] for i in idx], dtype=torch.float32, device=device)[:, None]

        log_ratio = scores.logprobs - old_logp
        ratio = log_ratio.exp()
        pg_loss = (torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef))
                   * mask).sum() / count
        entropy = (scores.entropy * mask).sum() / count
        kl = torch.zeros((), device=device)
        if rows["ref_logprobs"]:
            ref_logp = pad_rows([rows["ref_logprobs"][i] for i in idx], width).to(device)
            kl = (kl_k3(scores.logprobs, ref_logp) * mask).sum() / count
        loss = pg_loss + cfg.kl_coef * kl
        with torch.no_grad():
            parts = {
                "policy_loss": pg_loss.item(), "entropy": entropy.item(), "kl": max(0.0, kl.item()),
                "approx_kl": float((((ratio - 1) - log_ratio) * mask).sum() / count),
                "clipfrac": float((((ratio - 1).abs() > cfg.clip_coef).float() * mask).sum() / count),
            }
        return loss, parts

    def update(self, rows: dict[str, list[Any]]) -> dict[str, float]:
        """Clipped-ratio epochs over shuffled minibatches of turns; returns the mean loss parts."""
        n = len(rows["prompts"])
        if n == 0:
            return {}
        self.prepare(rows)
        return run_update_epochs(lambda idx: self.loss(rows, idx), n, self.config, self.rng, self.optimizer,
                                 self.params)

    # ------------------------------------------------------------------ the loop body
    def iteration(self) -> dict[str, float]:
        """Collect ``tasks_per_iteration`` groups, update once; return flat statistics (same keys as PPO)."""
        start = time.perf_counter()
        rows: dict[str, list[Any]] = {"prompts": [], "actions": [], "logprobs": [], "advantages": [], "frozen": [],
                                      "choices": []}
        self.last_groups = []
        for _ in range(self.config.tasks_per_iteration):
            task_id, turns = self.collect_group()
            group, turn_adv = self.group(task_id, turns)
            self.last_groups.append(group)
            for turn, adv in zip(turns, turn_adv, strict=True):
                if math.isnan(adv) or (adv == 0.0 and self.config.kl_coef == 0):
                    continue  # partial attempt, or nothing to learn from it
                rows["prompts"].append(turn.prompt_ids)
                rows["actions"].append(turn.action_ids)
                rows["logprobs"].append(turn.logprobs)
                rows["advantages"].append(adv)
                rows["frozen"].append(turn.frozen)
                rows["choices"].append(turn.choice)
        rollout_s = time.perf_counter() - start
        losses = self.update(rows)
        finished, judgements, steps = self.collector.drain()
        self.iterations += 1
        self.env_steps += steps
        self.episodes += len(finished)
        self._recent.extend(finished)
        members = [m for g in self.last_groups for m in g["members"]]
        stats: dict[str, float] = {
            "iteration": float(self.iterations),
            "env_steps": float(self.env_steps),
            "episodes": float(self.episodes),
            "iteration_env_steps": float(steps),
            "iteration_episodes": float(len(finished)),
            "action_tokens": float(sum(len(a) for a in rows["actions"])),
            "group_members": float(len(members)),
            "attempt_reward": float(np.mean([m["reward"] for m in members])) if members else math.nan,
            "attempt_reward_std": float(np.std([m["reward"] for m in members])) if members else math.nan,
        }
        stats.update(rollout_metrics(finished, judgements, self._wrapper_stats.delta()))
        stats.update({"policy_loss": 0.0, "value_loss": 0.0, "kl": 0.0, "entropy": 0.0, "clipfrac": 0.0,
                      "approx_kl": 0.0})
        stats.update(losses)
        stats["rollout_time_s"] = rollout_s
        stats["iteration_time_s"] = time.perf_counter() - start
        return stats
