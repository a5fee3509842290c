"""Learners, in three parts.

* :mod:`rrm_gym.agents.llm` — the bundled LLM learner: ``LLMPolicy`` (LoRA, value head, generate or choose
  actions), rollouts, ``PPO`` and ``GRPO``;
* :mod:`rrm_gym.agents.bridges` — Stable-Baselines3 (``SB3Learner``) and TRL (``environment_factory``);
* :mod:`rrm_gym.agents.run` — the training run behind ``rrm-gym train``: ``TrainConfig``, ``run_training``,
  checkpoints, held-out ``evaluate``, the episode log.

Imports flow llm → bridges → run. Everything here needs the ``[hf]``/``[train]`` extras; names are imported
lazily so ``import rrm_gym.agents`` stays cheap and torch-free until a learner is used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LLMPolicy": "rrm_gym.agents.llm.policy",
    "PPO": "rrm_gym.agents.llm.ppo",
    "GRPO": "rrm_gym.agents.llm.grpo",
    "PPOConfig": "rrm_gym.agents.llm.config",
    "GRPOConfig": "rrm_gym.agents.llm.config",
    "evaluate": "rrm_gym.agents.run.evaluate",
    "EvalResult": "rrm_gym.agents.run.evaluate",
    "ConversationTracker": "rrm_gym.agents.llm.conversation",
    "SB3Learner": "rrm_gym.agents.bridges.sb3.learner",
    "environment_factory": "rrm_gym.agents.bridges.trl.env",
    "TrainConfig": "rrm_gym.agents.run.config",
    "run_training": "rrm_gym.agents.run.runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rrm_gym.agents' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
