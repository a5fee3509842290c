"""``sb3``: MaskablePPO through E's bridge (:mod:`rrm_gym.agents.bridges.sb3.learner`) as a runner backend.

The env stack is the bridge's: feedback wrapper (C/R/U) → ``DiscreteActionWrapper`` → ``TextEncoderWrapper``; the
run's cached judge is passed in, so SB3 reads its rewards from the wrappers like every other agent. One iteration
is one SB3 rollout of ``n_steps * num_envs`` env steps and one PPO update. ``agent_opts`` are
:class:`~rrm_gym.agents.bridges.sb3.learner.SB3Config` fields (``n_steps``, ``encoder``, ``algo``, ``ppo_kwargs``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rrm_gym.agents.run.runner import Backend, RunContext

__all__ = ["SB3Backend", "evaluate_sb3_checkpoint"]

_FIXED = ("env_id", "feedback", "judge", "judge_kwargs", "lam", "max_refinements", "on_error", "num_envs", "seed",
          "env_kwargs")


class SB3Backend(Backend):
    """MaskablePPO (default) or PPO on the discrete view of a text env."""

    def __init__(self, ctx: RunContext) -> None:
        from rrm_gym.agents.bridges.sb3.learner import SB3Config, SB3Learner

        cfg = ctx.config
        self.config = cfg
        opts = {k.replace("-", "_"): v for k, v in cfg.agent_opts.items()}
        clash = sorted(set(opts) & set(_FIXED))
        if clash:
            raise ValueError(f"agent options {clash} are set by the run's own options (--env, --feedback, ...)")
        self.sb3_config = SB3Config.from_dict({
            **opts, "env_id": cfg.env, "feedback": cfg.feedback, "judge": cfg.judge, "judge_kwargs": cfg.judge_opts,
            "lam": cfg.lam, "max_refinements": cfg.max_refinements, "on_error": cfg.on_error,
            "num_envs": cfg.num_envs, "seed": cfg.seed, "env_kwargs": cfg.env_kwargs_resolved()})
        unknown = sorted(set(opts) - set(self.sb3_config.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown sb3 agent option(s) {unknown}; SB3Config fields: "
                             f"{', '.join(self.sb3_config.__dataclass_fields__)}")
        self.learner = SB3Learner(self.sb3_config, judge=ctx.judge)
        self._start_steps = self.learner.num_timesteps

    def iteration(self) -> dict[str, float]:
        """One SB3 rollout + update."""
        return self.learner.iteration()

    @property
    def env_steps(self) -> int:
        """SB3's timestep counter since this backend was built or loaded."""
        return self.learner.num_timesteps - self._start_steps

    def episode_summary(self, stats: Mapping[str, float]) -> dict[str, float]:
        """The bridge's per-iteration episode stats under the runner's metric names."""
        judged = float(stats.get("judged_attempts", 0.0))
        fresh = judged - float(stats.get("judge_cached", 0.0))
        latency = float(stats.get("judge_latency_s", 0.0)) / fresh if fresh > 0 else float("nan")
        return {
            "episodes": int(stats.get("episodes", 0)),
            "reward_env_mean": stats.get("reward_env", math.nan),
            "reward_rrm_mean": stats.get("reward_rrm", math.nan),
            "reward_shaped_mean": stats.get("reward", math.nan),
            "judge_score_mean": stats.get("judge_score", math.nan),
            "success_rate": stats.get("success_rate", math.nan),
            "episode_steps_mean": stats.get("length", math.nan),
            "judged_attempts": int(judged),
            "judge_cache_hits": int(stats.get("judge_cached", 0)),
            "judge_failures": int(stats.get("judge_failures", 0)),
            "judge_latency_mean_s": latency,
            "refinements": int(stats.get("refinements", 0)),
        }

    def save(self, folder: Path) -> None:
        """``model.zip`` (weights, optimizer, step count) and ``sb3_config.json``."""
        self.learner.save(folder)

    def load(self, folder: Path) -> None:
        """Restore :meth:`save` output."""
        self.learner.load(folder)
        self._start_steps = self.learner.num_timesteps

    def reseed(self, seed: int) -> None:
        """Reseed the SB3 envs (new tasks after a resume)."""
        self.learner.vec_env.seed(seed)

    def evaluate(self, episodes: int, split: str, seed: int, progress: bool) -> dict[str, Any]:
        """Greedy success on ``split`` tasks of the plain env (Wilson interval, reward, steps, per task)."""
        from rrm_gym.agents.bridges.sb3.evaluation import evaluate_sb3_result

        return evaluate_sb3_result(self.learner.model, self.config.env, episodes, split=split, seed=seed,
                                   config=self.sb3_config).to_dict()

    def close(self) -> None:
        """Close the envs."""
        self.learner.close()


def evaluate_sb3_checkpoint(folder: Path, env: str, episodes: int, split: str, seed: int,
                            env_kwargs: dict[str, Any], feedback: str = "none", judge: Any = None) -> dict[str, Any]:
    """Evaluate an SB3 checkpoint folder (``model.zip`` + ``sb3_config.json``) on ``env``.

    ``feedback="critique"`` evaluates with critiques at inference (see
    :func:`~rrm_gym.agents.bridges.sb3.evaluation.evaluate_sb3_result`).
    """
    import json

    from rrm_gym.agents.bridges.sb3.evaluation import evaluate_sb3_result
    from rrm_gym.agents.bridges.sb3.learner import SB3Config

    meta = json.loads((Path(folder) / "sb3_config.json").read_text())
    config = SB3Config.from_dict({**meta, "env_kwargs": {}})
    if config.algo == "maskable_ppo":
        from sb3_contrib import MaskablePPO as Algo
    else:
        from stable_baselines3 import PPO as Algo
    model = Algo.load(Path(folder) / "model.zip", device="cpu")
    return evaluate_sb3_result(model, env, episodes, split=split, seed=seed, config=config, feedback=feedback,
                               judge=judge, **env_kwargs).to_dict()
