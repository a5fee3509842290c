"""Multi-turn PPO for an :class:`~rrm_gym.agents.llm.policy.LLMPolicy` over a Gymnasium vector env.

The unit of an action is a token for generated text and the whole decision for a choice among candidates
(``action_mode="choose"``: ratio, entropy and KL of the categorical). Read top to bottom, like CleanRL's ``ppo.py``:

1. **Rollout** — ``config.num_steps`` vector steps. Each step every sub-env gets one action; the reward of that
   step (env reward + whatever the feedback wrappers add, e.g. λ·score) lands on the LAST unit of the action.
   Episodes carry over from one iteration to the next; a turn cut by a time limit keeps the value of the state it
   led to, and GAE bootstraps from it.
2. **GAE** — per sub-env, the action tokens of all its turns form one sequence; the value of every token comes
   from the value head. GAE (``gamma``, ``gae_lambda``) runs backwards over that sequence, so credit flows across
   turns and across refinement attempts of the same episode; it stops at episode ends and bootstraps from the
   value of the current prompt at the end of the rollout.
3. **Update** — ``update_epochs`` passes over shuffled minibatches of turns: clipped policy loss, clipped value
   loss, k3 KL penalty to the reference policy (the same model with the LoRA adapter disabled), entropy bonus,
   gradient-norm clipping, Adam on the LoRA and value-head parameters.

Rewards are read from the env only: the learner never calls a judge.
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
from rrm_gym.agents.llm.config import PPOConfig
from rrm_gym.agents.llm.rollout import RolloutCollector, TurnRecord

__all__ = ["PPO", "compute_gae", "token_advantages"]


def compute_gae(rewards: np.ndarray, values: np.ndarray, dones: np.ndarray, last_value: float, gamma: float,
                lam: float, next_values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation over one sequence of units (tokens, or one unit per choice).

    Args:
        rewards: Reward at each unit (0 except on the last unit of an action).
        values: Value at each unit.
        dones: True on the unit after which the episode ended (no bootstrapping past it).
        last_value: Value of the state after the last unit (ignored when the last unit is done).
        gamma: Discount per unit.
        lam: GAE lambda.
        next_values: Where not NaN, the value to bootstrap from after this unit even though it is done: the
            state a time-limit truncation led to (the episode was cut, not finished).

    Returns:
        ``(advantages, returns)`` with ``returns = advantages + values``.

    Example:
        >>> adv, ret = compute_gae(np.array([0.0, 1.0]), np.array([0.5, 0.5]), np.array([False, True]), 0.0, 1.0, 1.0)
        >>> adv.tolist(), ret.tolist()
        ([0.5, 0.5], [1.0, 1.0])
        >>> adv, _ = compute_gae(np.array([0.0]), np.array([0.5]), np.array([True]), 0.0, 1.0, 1.0, np.array([0.7]))
        >>> round(float(adv[0]), 6)  # truncated: bootstrap from V(next) = 0.7
        0.2
    """
    n = len(rewards)
    advantages = np.zeros(n, dtype=np.float64)
    last_gae = 0.0
    for t in reversed(range(n)):
        next_value = last_value if t == n - 1 else values[t + 1]
        not_done = 0.0 if dones[t] else 1.0
        bootstrap = next_values is not None and not np.isnan(next_values[t])
        target = next_values[t] if bootstrap else next_value * not_done  # type: ignore[index]
        delta = rewards[t] + gamma * target - values[t]
        last_gae = delta + gamma * lam * not_done * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


def token_advantages(turns: list[TurnRecord], last_value: float, gamma: float,
                     lam: float) -> tuple[list[list[float]], list[list[float]]]:
    """GAE over the units of one sub-env's turns (in time order); per-turn advantage and return lists.

    A generated action has one unit per token, a choice one unit. A turn cut by a time limit bootstraps from
    ``turn.bootstrap``, the value of the state it led to.
    """
    rewards, values, dones, nexts, lengths = [], [], [], [], []
    for turn in turns:
        n = turn.units
        if turn.values is None:
            raise ValueError("PPO needs values: build the policy with value_head=True")
        rewards += [0.0] * (n - 1) + [turn.reward]  # the turn's reward lands on its last unit
        values += list(turn.values)
        dones += [False] * (n - 1) + [turn.done]
        nexts += [math.nan] * (n - 1) + [turn.bootstrap if turn.done and not turn.terminated
                                         and turn.bootstrap is not None else math.nan]
        lengths.append(n)
    adv, ret = compute_gae(np.asarray(rewards), np.asarray(values), np.asarray(dones), last_value, gamma, lam,
                           np.asarray(nexts, dtype=np.float64))
    out_adv, out_ret, start = [], [], 0
    for n in lengths:
        out_adv.append(adv[start : start + n].tolist())
        out_ret.append(ret[start : start + n].tolist())
        start += n
    return out_adv, out_ret


class PPO(CheckpointMixin):
    """Token-level multi-turn PPO on a vector env whose feedback wrappers provide the rewards.

    Args:
        policy: An :class:`~rrm_gym.agents.llm.policy.LLMPolicy` with LoRA and a value head.
        envs: A Gymnasium vector env (sync or async) of text envs, feedback wrappers already applied.
        config: Hyper-parameters.

    Example:
        >>> from rrm_gym.agents.llm.policy import LLMPolicy
        >>> from rrm_gym.wrappers import make_vector_env
        >>> envs = make_vector_env("rrm/WebWalker-v0", 2, feedback="unified", judge="reference")  # doctest: +SKIP
        >>> learner = PPO(LLMPolicy(), envs, PPOConfig(num_steps=2))  # doctest: +SKIP
        >>> stats = learner.iteration()  # doctest: +SKIP
        >>> sorted(stats)[:3]  # doctest: +SKIP
        ['approx_kl', 'attempts_per_episode', 'cache_hits']
    """

    def __init__(self, policy: Any, envs: Any, config: PPOConfig | None = None) -> None:
        self.policy = policy
        self.envs = envs
        self.config = config or PPOConfig()
        if policy.value_head is None:
            raise ValueError("PPO needs a value head: LLMPolicy(value_head=True)")
        if self.config.kl_coef > 0 and not policy.has_adapter:
            raise ValueError("the KL penalty needs a LoRA adapter (LLMPolicy(lora=True)) or kl_coef=0")
        self.optimizer = torch.optim.Adam(policy.trainable_parameters(), lr=self.config.learning_rate, eps=1e-5)
        check_sampling(policy)
        self.collector = RolloutCollector(policy, envs)
        self.rng = np.random.default_rng(self.config.seed)
        self.iterations = 0
        self.env_steps = 0
        self.episodes = 0
        self._recent: deque[dict[str, Any]] = deque(maxlen=self.config.recent_episodes)
        self._wrapper_stats = WrapperStatsDelta(envs)
        self._turns: list[list[TurnRecord]] = [[] for _ in range(self.collector.num_envs)]

    @property
    def recent_episodes(self) -> list[dict[str, Any]]:
        """The latest finished episodes (task_id, question, attempts with actions, observations, rewards, rrm)."""
        return list(self._recent)

    # ------------------------------------------------------------------ 1. rollout
    def collect(self) -> list[list[TurnRecord]]:
        """Run ``num_steps`` vector steps; return the turns of each sub-env in time order."""
        if not self.collector.started:
            self.collector.reset(seed=self.config.seed)
        turns: list[list[TurnRecord]] = [[] for _ in range(self.collector.num_envs)]
        for _ in range(self.config.num_steps):
            for i, record in enumerate(self.collector.step()):
                if record is not None:
                    turns[i].append(record)
        return turns

    def bootstrap_values(self, turns: list[list[TurnRecord]]) -> list[float]:
        """Value of each sub-env's current prompt, for sub-envs whose last turn did not end the episode."""
        need = [i for i, env_turns in enumerate(turns) if env_turns and not env_turns[-1].done]
        values = [0.0] * len(turns)
        if need:
            convs, infos = self.collector.tracker.conversations(), self.collector.tracker.infos()
            for i, v in zip(need, self.policy.state_values([convs[i] for i in need], [infos[i] for i in need]),
                            strict=True):
                values[i] = float(v)
        return values

    # ------------------------------------------------------------------ 2. advantages
    def build_batch(self, turns: list[list[TurnRecord]], last_values: list[float]) -> dict[str, list[Any]]:
        """Flatten turns into rows (prompt, action, old log-probs/values, advantages, returns)."""
        batch: dict[str, list[Any]] = {k: [] for k in ("prompts", "actions", "logprobs", "values", "advantages",
                                                       "returns", "rewards", "frozen", "choices")}
        for env_turns, last_value in zip(turns, last_values, strict=True):
            if not env_turns:
                continue
            adv, ret = token_advantages(env_turns, last_value, self.config.gamma, self.config.gae_lambda)
            for turn, a, r in zip(env_turns, adv, ret, strict=True):
                batch["prompts"].append(turn.prompt_ids)
                batch["actions"].append(turn.action_ids)
                batch["logprobs"].append(turn.logprobs)
                batch["values"].append(turn.values)
                batch["advantages"].append(a)
                batch["returns"].append(r)
                batch["rewards"].append(turn.reward)
                batch["frozen"].append(turn.frozen)
                batch["choices"].append(turn.choice)
        return batch

    # ------------------------------------------------------------------ 3. update
    def prepare(self, batch: dict[str, list[Any]]) -> None:
        """Add normalised advantages and reference log-probs (the adapter disabled) to ``batch``, in place."""
        advantages = [np.asarray(a, dtype=np.float64) for a in batch["advantages"]]
        if self.config.norm_adv and advantages:
            flat = np.concatenate(advantages)
            mean, std = flat.mean(), flat.std() + 1e-8
            advantages = [(a - mean) / std for a in advantages]
        batch["norm_advantages"] = advantages
        batch["ref_logprobs"] = reference_logprobs(self.policy, batch) if self.config.kl_coef > 0 else []

    def loss(self, batch: dict[str, list[Any]], idx: Sequence[int]) -> tuple[torch.Tensor, dict[str, float]]:
        """The PPO loss of the turns ``idx`` of a prepared batch, and its parts."""
        cfg = self.config
        width = max(len(batch["logprobs"][i]) for i in idx)
        scores = score_rows(self.policy, batch, idx)
        mask = scores.mask.float()
        count = mask.sum().clamp(min=1.0)
        device = scores.logprobs.device
        old_logp = pad_rows([batch["logprobs"][i] for i in idx], width).to(device)
        old_v = pad_rows([batch["values"][i] for i in idx], width).to(device)
        adv = pad_rows([batch["norm_advantages"][i] for i in idx], width).to(device)
        ret = pad_rows([batch["returns"][i] for i in idx], width).to(device)

        log_ratio = scores.logprobs - old_logp
        ratio = log_ratio.exp()
        pg_loss = (torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef))
                   * mask).sum() / count
        assert scores.values is not None
        v_loss_unclipped = (scores.values - ret) ** 2
        if cfg.clip_vloss:
            v_clipped = old_v + (scores.values - old_v).clamp(-cfg.clip_coef, cfg.clip_coef)
            v_loss_unclipped = torch.max(v_loss_unclipped, (v_clipped - ret) ** 2)
        v_loss = 0.5 * (v_loss_unclipped * mask).sum() / count
        entropy = (scores.entropy * mask).sum() / count
        kl = torch.zeros((), device=device)
        if batch["ref_logprobs"]:
            ref_logp = pad_rows([batch["ref_logprobs"][i] for i in idx], width).to(device)
            kl = (kl_k3(scores.logprobs, ref_logp) * mask).sum() / count
        loss = pg_loss + cfg.vf_coef * v_loss - cfg.ent_coef * entropy + cfg.kl_coef * kl
        with torch.no_grad():
            parts = {
                "policy_loss": pg_loss.item(), "value_loss": v_loss.item(), "entropy": entropy.item(),
                "kl": max(0.0, kl.item()), "approx_kl": float((((ratio - 1) - log_ratio) * mask).sum() / count),
                "clipfrac": float((((ratio - 1).abs() > cfg.clip_coef).float() * mask).sum() / count),
            }
        return loss, parts

    def update(self, batch: dict[str, list[Any]]) -> dict[str, float]:
        """PPO epochs over shuffled minibatches of turns; returns the mean loss parts."""
        n = len(batch["prompts"])
        if n == 0:
            return {}
        self.prepare(batch)
        return run_update_epochs(lambda idx: self.loss(batch, idx), n, self.config, self.rng, self.optimizer,
                                 self.policy.trainable_parameters(), target_kl=self.config.target_kl)

    # ------------------------------------------------------------------ the loop body
    def iteration(self) -> dict[str, float]:
        """Collect ``num_steps`` vector steps, update once; return flat statistics (see the module docs)."""
        start = time.perf_counter()
        turns = self.collect()
        last_values = self.bootstrap_values(turns)
        batch = self.build_batch(turns, last_values)
        rollout_s = time.perf_counter() - start
        losses = self.update(batch)
        finished, judgements, steps = self.collector.drain()
        self.iterations += 1
        self.env_steps += steps
        self.episodes += len(finished)
        self._recent.extend(finished)
        stats: dict[str, float] = {
            "iteration": float(self.iterations),
            "env_steps": float(self.env_steps),
            "episodes": float(self.episodes),
            "iteration_env_steps": float(steps),
            "iteration_episodes": float(len(finished)),
            "action_tokens": float(sum(len(a) for a in batch["actions"])),
            "prompt_tokens_per_turn": float(np.mean([len(p) for p in batch["prompts"]])) if batch["prompts"] else 0.0,
            "mean_step_reward": float(np.mean(batch["rewards"])) if batch["rewards"] else 0.0,
        }
        stats.update(rollout_metrics(finished, judgements, self._wrapper_stats.delta()))
        stats.update({"policy_loss": 0.0, "value_loss": 0.0, "kl": 0.0, "entropy": 0.0, "clipfrac": 0.0,
                      "approx_kl": 0.0})
        stats.update(losses)
        stats["rollout_time_s"] = rollout_s
        stats["iteration_time_s"] = time.perf_counter() - start
        return stats
