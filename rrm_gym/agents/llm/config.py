"""Hyper-parameters of the bundled learners: :class:`PPOConfig` and :class:`GRPOConfig` (torch-free).

The sampling distribution (temperature, action mode) and the prompt format (history window) belong to the
policy (:class:`~rrm_gym.agents.llm.policy.LLMPolicy`), not to these configs, so rollout, update and evaluation
always agree. The defaults are sized for a laptop CPU (the bundled SmolLM2-135M with LoRA on
``rrm/WebWalker-v0``, a few minutes per run); the paper's GRPO settings are noted per field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["PPOConfig", "GRPOConfig"]


class _ConfigMixin:
    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Build a config from a dict; unknown keys are an error (typos must not pass silently)."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)

    def _check_common(self) -> None:
        checks = {
            "learning_rate": self.learning_rate > 0,  # type: ignore[attr-defined]
            "update_epochs": self.update_epochs >= 1,  # type: ignore[attr-defined]
            "num_minibatches": self.num_minibatches >= 1,  # type: ignore[attr-defined]
            "clip_coef": self.clip_coef > 0,  # type: ignore[attr-defined]
            "kl_coef": self.kl_coef >= 0,  # type: ignore[attr-defined]
            "max_grad_norm": self.max_grad_norm > 0,  # type: ignore[attr-defined]
            "recent_episodes": self.recent_episodes >= 0,  # type: ignore[attr-defined]
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid {type(self).__name__} values: " + ", ".join(
                f"{k}={getattr(self, k)!r}" for k in bad))


@dataclass
class PPOConfig(_ConfigMixin):
    """Token-level multi-turn PPO (:class:`~rrm_gym.agents.llm.ppo.PPO`).

    Attributes:
        num_steps: Vector-env steps collected per iteration (each step generates one action per sub-env).
        learning_rate: Adam learning rate of the LoRA and value-head parameters.
        gamma: Discount per action token (1.0: undiscounted episodes, as usual for LLM PPO).
        gae_lambda: GAE lambda over the token sequence of the whole multi-turn episode.
        update_epochs: Passes over the collected turns per iteration.
        num_minibatches: Minibatches per epoch (the unit is a turn: one prompt and one action).
        clip_coef: PPO ratio clip range.
        clip_vloss: Clip the value loss around the rollout values (as in CleanRL).
        vf_coef: Weight of the value loss.
        ent_coef: Weight of the entropy bonus.
        kl_coef: Weight of the KL penalty to the reference policy (the base model, adapter disabled), k3
            estimator in the loss; 0 skips the reference forward pass.
        max_grad_norm: Global gradient-norm clip.
        norm_adv: Normalise advantages over the batch's action tokens.
        target_kl: Stop the epochs early when the approximate KL to the rollout policy exceeds this (``None``: off).
        seed: Seeds env resets and sampling.
        recent_episodes: Finished episodes kept in ``learner.recent_episodes`` for the HTML report.

    Example:
        >>> PPOConfig(num_steps=8, kl_coef=0.0).to_dict()["num_steps"]
        8
    """

    num_steps: int = 4
    learning_rate: float = 1e-4
    gamma: float = 1.0
    gae_lambda: float = 0.95
    update_epochs: int = 1
    num_minibatches: int = 2
    clip_coef: float = 0.2
    clip_vloss: bool = True
    vf_coef: float = 0.5
    ent_coef: float = 0.0
    kl_coef: float = 0.02
    max_grad_norm: float = 1.0
    norm_adv: bool = True
    target_kl: float | None = None
    seed: int = 0
    recent_episodes: int = 8

    def __post_init__(self) -> None:
        if self.num_steps < 1:
            raise ValueError(f"num_steps must be >= 1, got {self.num_steps}")
        if not 0 <= self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError("gamma and gae_lambda must be in [0, 1]")
        self._check_common()


@dataclass
class GRPOConfig(_ConfigMixin):
    """GRPO with attempt-level rewards and group-normalised advantages (:class:`~rrm_gym.agents.llm.grpo.GRPO`).

    The paper (Reagent) trains with ``group_size=8``, ``learning_rate=5e-6`` (full fine-tuning) and
    ``temperature=0.7``, at most 10 tool turns. The defaults here are smaller for a CPU and a LoRA adapter.

    Attributes:
        group_size: Episodes per task (paper: 8). Every sub-env of the vector env plays the same task, so a task
            takes ``ceil(group_size / num_envs)`` rounds and the group holds that many times ``num_envs``
            episodes. Under C/U feedback the refined attempts join the group (paper: 2n).
        tasks_per_iteration: Tasks (groups) collected per iteration.
        learning_rate: Adam learning rate of the LoRA parameters (paper: 5e-6 for full fine-tuning).
        update_epochs: Passes over the collected attempts per iteration.
        num_minibatches: Minibatches per epoch (the unit is a turn).
        clip_coef: PPO-style ratio clip range.
        kl_coef: Weight of the KL penalty to the reference (adapter disabled), k3 estimator. The default 0 (as TRL's
            ``beta``) skips the reference pass and the turns of groups whose attempts all scored the same; the
            original GRPO used 0.04.
        max_grad_norm: Global gradient-norm clip.
        adv_eps: Added to the group's reward standard deviation.
        scale_rewards: Divide by the group's standard deviation (``False``: only subtract the mean, as Dr. GRPO).
        max_round_steps: Safety cap on vector steps per round (episodes still running then are dropped).
        seed: Seeds task choice, resets and sampling.
        recent_episodes: Finished episodes kept in ``learner.recent_episodes`` for the HTML report.

    Example:
        >>> GRPOConfig.from_dict({"group_size": 8, "learning_rate": 5e-6}).group_size  # the paper's settings
        8
    """

    group_size: int = 4
    tasks_per_iteration: int = 1
    learning_rate: float = 1e-4
    update_epochs: int = 1
    num_minibatches: int = 2
    clip_coef: float = 0.2
    kl_coef: float = 0.0
    max_grad_norm: float = 1.0
    adv_eps: float = 1e-4
    scale_rewards: bool = True
    max_round_steps: int = 64
    seed: int = 0
    recent_episodes: int = 8

    def __post_init__(self) -> None:
        if self.group_size < 2:
            raise ValueError(f"group_size must be >= 2 (advantages are relative to the group), got {self.group_size}")
        if self.tasks_per_iteration < 1 or self.max_round_steps < 1:
            raise ValueError("tasks_per_iteration and max_round_steps must be >= 1")
        self._check_common()
