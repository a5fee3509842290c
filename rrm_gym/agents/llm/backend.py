"""``ppo`` and ``grpo``: the bundled LLM learners (LoRA on a Hugging Face chat model) as a runner backend.

The vector env is ``make_vector_env(env, num_envs, feedback, judge)`` wrapped in an
:class:`~rrm_gym.agents.run.episode_log.EpisodeLog`; the learner reads its rewards from the feedback wrappers.
``agent_opts`` are split between :class:`~rrm_gym.agents.llm.policy.LLMPolicy` arguments (``max_new_tokens``,
``lora_r``, ``temperature``, ...) and the learner's config (:class:`~rrm_gym.agents.llm.config.PPOConfig` /
``GRPOConfig`` fields such as ``num_steps`` or ``group_size``).
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from rrm_gym.agents.run.episode_log import EpisodeLog
from rrm_gym.agents.run.runner import Backend, RunContext

__all__ = ["LLMBackend", "split_agent_opts"]

_EVAL_ENVS = 8


def split_agent_opts(opts: dict[str, Any], config_cls: type) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``agent_opts`` into (``LLMPolicy`` kwargs, learner-config kwargs); a key both know goes to both."""
    from dataclasses import fields

    from rrm_gym.agents.llm.policy import LLMPolicy

    policy_keys = set(inspect.signature(LLMPolicy.__init__).parameters) - {"self", "model", "value_head", "adapter"}
    config_keys = {f.name for f in fields(config_cls)}
    policy, learner, unknown = {}, {}, []
    for key, value in opts.items():
        key = key.replace("-", "_")
        if key in policy_keys:  # e.g. max_new_tokens, temperature: the policy's default, used by evaluation too
            policy[key] = value
        if key in config_keys:
            learner[key] = value
        if key not in policy_keys and key not in config_keys:
            unknown.append(key)
    if unknown:
        raise ValueError(f"unknown agent option(s) {unknown}; {config_cls.__name__} fields: "
                         f"{', '.join(sorted(config_keys))}; LLMPolicy arguments: {', '.join(sorted(policy_keys))}")
    return policy, learner


class LLMBackend(Backend):
    """PPO (``agent="ppo"``) or GRPO (``agent="grpo"``) on an :class:`~rrm_gym.agents.llm.policy.LLMPolicy`."""

    def __init__(self, ctx: RunContext) -> None:
        from rrm_gym.agents.llm.policy import LLMPolicy
        from rrm_gym.wrappers import make_vector_env

        cfg = ctx.config
        self.config = cfg
        module, name = ("rrm_gym.agents.llm.ppo", "PPO") if cfg.agent == "ppo" else ("rrm_gym.agents.llm.grpo", "GRPO")
        Learner = getattr(importlib.import_module(module), name)  # noqa: N806
        LearnerConfig = getattr(importlib.import_module("rrm_gym.agents.llm.config"), f"{name}Config")  # noqa: N806
        policy_kwargs, learner_kwargs = split_agent_opts(cfg.agent_opts, LearnerConfig)
        policy_kwargs.setdefault("seed", cfg.seed)
        policy_kwargs.setdefault("action_mode", cfg.action_mode)
        self.policy = LLMPolicy(cfg.model, value_head=cfg.agent == "ppo", **policy_kwargs)
        envs = make_vector_env(cfg.env, cfg.num_envs, feedback=cfg.feedback, judge=ctx.judge,
                               vectorization_mode=cfg.vectorization_mode, lam=cfg.lam,
                               max_refinements=cfg.max_refinements, on_error=cfg.on_error,
                               **cfg.env_kwargs_resolved())
        self.envs = EpisodeLog(envs)
        learner_kwargs.setdefault("seed", cfg.seed)
        self.learner = Learner(self.policy, self.envs, LearnerConfig.from_dict(learner_kwargs))

    # ------------------------------------------------------------------ Backend
    def iteration(self) -> dict[str, float]:
        """One rollout + update of the learner."""
        return self.learner.iteration()

    @property
    def env_steps(self) -> int:
        """Env steps since this backend was built (counted by the episode log)."""
        return self.envs.env_steps

    def pop_episodes(self) -> list[dict[str, Any]]:
        """Finished episodes since the last call."""
        return self.envs.pop_finished()

    def save(self, folder: Path) -> None:
        """The policy's adapter + value head (``policy/``) and the learner state (``learner.pt``)."""
        import torch

        self.policy.save(folder / "policy")
        torch.save(self.learner.state_dict(), folder / "learner.pt")

    def load(self, folder: Path) -> None:
        """Restore :meth:`save` output."""
        import torch

        self.policy.load_weights(folder / "policy")
        self.learner.load_state_dict(torch.load(folder / "learner.pt", map_location="cpu", weights_only=False))

    def reseed(self, seed: int) -> None:
        """PPO: restart the episodes from ``seed`` (GRPO draws every task from its restored RNG already)."""
        collector = getattr(self.learner, "collector", None)
        if self.config.agent == "ppo" and collector is not None:
            collector.reset(seed=seed)

    def evaluate(self, episodes: int, split: str, seed: int, progress: bool) -> dict[str, Any]:
        """Greedy first-attempt success on ``split`` tasks of the plain env."""
        from rrm_gym.agents.run.evaluate import evaluate

        result = evaluate(self.policy.as_agent(greedy=True), self.config.env, episodes=episodes, split=split,
                          seed=seed, num_envs=min(_EVAL_ENVS, episodes), env_kwargs=self.config.env_kwargs_resolved(),
                          progress=progress)
        return result.to_dict()

    def close(self) -> None:
        """Close the envs."""
        self.envs.close()
