"""Stable-Baselines3 bridge: ``MaskablePPO`` (or ``PPO``) on any ``rrm/*`` env, with or without C/R/U feedback.

The env stack, innermost first::

    gym.make(env_id) -> [feedback wrapper C/R/U] -> DiscreteActionWrapper -> TextEncoderWrapper -> episode stats

The feedback wrapper sits below the discrete view so the judge reads real action text; rewards reach SB3 already
shaped (the learner never calls the judge). Evaluation uses the same encoder on the plain env (no feedback), so the
success rate is the first-attempt success on held-out tasks.

* :func:`make_sb3_env` — one wrapped env.
* :class:`SB3Learner` — ``iteration()`` (one rollout + update), ``evaluate()``, ``save()`` / ``load()``.
* :func:`train_sb3` / :func:`evaluate_sb3` — the short path.

stable-baselines3, sb3-contrib and torch are imported lazily (``pip install 'rrm-gym[train]'``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rrm_gym.judges.base import Judge
from rrm_gym.wrappers.discrete import DiscreteActionWrapper
from rrm_gym.wrappers.text_encoder import TextEncoderWrapper

__all__ = ["SB3Config", "SB3Learner", "make_sb3_env", "train_sb3", "evaluate_sb3"]

ALGOS = ("maskable_ppo", "ppo")
_CONFIG_FILE = "sb3_config.json"
_MODEL_FILE = "model.zip"


@dataclass
class SB3Config:
    """Everything needed to rebuild an SB3 learner (saved next to its checkpoints).

    Attributes:
        env_id: A registered env id whose info has ``valid_actions``.
        feedback: ``"none"``, ``"critique"``, ``"reward"`` or ``"unified"``.
        judge: Judge name for :func:`rrm_gym.judges.make` (a callable can be passed to :class:`SB3Learner`).
        judge_kwargs: Options for the judge.
        lam: λ of the shaped reward.
        max_refinements: Refinements per episode under C/U.
        on_error: Judge failure policy.
        algo: ``"maskable_ppo"`` (sb3-contrib, invalid indices masked) or ``"ppo"`` (invalid indices are wasted steps).
        encoder: ``"hash"`` or ``"minilm"``.
        dim: Encoder size (``None``: 128 for hash, 384 for minilm).
        max_actions: Size of the discrete action space (12 covers every page of ``rrm/WebWalker-v0``).
        answer_actions: Where candidate final answers come from: ``"auto"`` (the env's ``answer_actions()``
            method, e.g. ``WebWalkerEnv.answer_actions``) or ``"none"``.
        num_envs: Envs stepped together (``DummyVecEnv``).
        n_steps: Env steps per env per iteration (the PPO rollout length).
        seed: Seed of the model and the envs.
        env_kwargs: Passed to ``gym.make``; ``split``, ``difficulty`` and ``task_id`` among them are reset options
            (:func:`rrm_gym.envs.from_id.make_task_env`), e.g. ``{"difficulty": "easy"}``.
        ppo_kwargs: Passed to the SB3 algorithm, overriding the defaults below.
        tensorboard_log: Folder for SB3's TensorBoard events, or ``None``.
        torch_threads: ``torch.set_num_threads`` for this process when the learner is built (small MLPs run
            fastest on one thread, and far faster than on threads that compete for busy cores); ``None`` leaves it.
    """

    env_id: str = "rrm/WebWalker-v0"
    feedback: str = "none"
    judge: str = "reference"
    judge_kwargs: dict[str, Any] = field(default_factory=dict)
    lam: float = 0.3
    max_refinements: int = 1
    on_error: str = "neutral"
    algo: str = "maskable_ppo"
    encoder: str = "hash"
    dim: int | None = None
    max_actions: int = 12
    answer_actions: str = "auto"
    num_envs: int = 1
    n_steps: int = 256
    seed: int = 0
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    ppo_kwargs: dict[str, Any] = field(default_factory=dict)
    tensorboard_log: str | None = None
    torch_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"algo must be one of {ALGOS}, got {self.algo!r}")
        if self.answer_actions not in ("auto", "none"):
            raise ValueError(f"answer_actions must be 'auto' or 'none', got {self.answer_actions!r}")
        for name in ("max_actions", "num_envs", "n_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SB3Config:
        """Build from a dict, ignoring unknown keys."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def default_ppo_kwargs(config: SB3Config) -> dict[str, Any]:
    """PPO settings that learn small text tasks within a few thousand steps on a CPU."""
    return {"learning_rate": 1e-3, "batch_size": 64, "n_epochs": 8, "gamma": 0.95, "gae_lambda": 0.95,
            "ent_coef": 0.01, "clip_range": 0.2, "policy_kwargs": {"net_arch": [128, 128]},
            "n_steps": config.n_steps, "seed": config.seed, "device": "cpu", "verbose": 0,
            "tensorboard_log": config.tensorboard_log}


def _auto_answers(env: gym.Env, info: dict[str, Any]) -> list[str]:
    try:
        method = env.get_wrapper_attr("answer_actions")
    except AttributeError:
        method = None
    return list(method() or []) if callable(method) else []


_ANSWER_SOURCES = {"auto": _auto_answers, "none": None}


class _EpisodeStats(gym.Wrapper):
    """Outermost wrapper: sums each episode's rewards and judge results into ``self.finished``."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.finished: list[dict[str, float]] = []
        self._ep = self._fresh()

    @staticmethod
    def _fresh() -> dict[str, float]:
        return {"reward": 0.0, "reward_env": 0.0, "reward_rrm": 0.0, "length": 0, "invalid_actions": 0,
                "judged": 0, "judge_score": 0.0, "judge_failures": 0, "judge_cached": 0, "judge_latency_s": 0.0,
                "refinements": 0, "success_first": -1.0}

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        self._ep = self._fresh()
        return self.env.reset(**kwargs)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        ep = self._ep
        ep["reward"] += float(reward)
        ep["reward_env"] += float(info.get("reward_env", reward))
        ep["reward_rrm"] += float(info.get("reward_rrm", 0.0))
        ep["length"] += 1
        ep["invalid_actions"] += int(bool(info.get("invalid_action")))
        if "previous" in info:
            ep["refinements"] += 1
            if ep["success_first"] < 0:
                ep["success_first"] = float(bool((info["previous"] or {}).get("is_success")))
        rrm = info.get("rrm")
        if isinstance(rrm, dict):
            ep["judged"] += 1
            if rrm.get("ok", True) and rrm.get("score") is not None:  # a failed judgement has no score
                ep["judge_score"] += float(rrm["score"])
            ep["judge_failures"] += int(not rrm.get("ok", True))
            ep["judge_cached"] += int(bool(rrm.get("cached")))
            ep["judge_latency_s"] += float(rrm.get("latency_s") or 0.0)
        if terminated or truncated:
            success = float(bool(info.get("is_success", False)))
            first = ep["success_first"] if ep["success_first"] >= 0 else success
            self.finished.append({**ep, "success": success, "success_first": first})
        return obs, reward, terminated, truncated, info


def make_sb3_env(config: SB3Config, *, judge: Judge | None = None, split: str | None = None,
                 feedback: str | None = None) -> gym.Env:
    """One env for SB3: (feedback) → discrete view → text encoder → episode stats.

    Args:
        config: The learner config.
        judge: A judge callable that overrides ``config.judge``.
        split: Task split (``"train"`` or ``"test"``), a reset option; ``None`` keeps the env's default.
        feedback: Overrides ``config.feedback`` (evaluation uses ``"none"``).
    """
    from rrm_gym.wrappers.factory import make_env

    env_kwargs = dict(config.env_kwargs)
    if split is not None:
        env_kwargs["split"] = split
    base = make_env(config.env_id, feedback=config.feedback if feedback is None else feedback,
                    judge=config.judge if judge is None else judge, lam=config.lam,
                    max_refinements=config.max_refinements, on_error=config.on_error,
                    judge_kwargs=config.judge_kwargs or None, **env_kwargs)
    discrete = DiscreteActionWrapper(base, config.max_actions, answer_actions=_ANSWER_SOURCES[config.answer_actions])
    dim = 128 if config.dim is None and config.encoder == "hash" else config.dim
    env = TextEncoderWrapper(discrete, config.encoder, dim)
    return _EpisodeStats(env)


def _mean(rows: list[dict[str, float]], key: str) -> float:
    return float(np.mean([r[key] for r in rows])) if rows else float("nan")


class SB3Learner:
    """MaskablePPO (or PPO) on an ``rrm/*`` env through the discrete view and a text encoder.

    Args:
        config: An :class:`SB3Config`; keyword overrides are applied on top.
        judge: A judge callable instead of ``config.judge`` (not saved with checkpoints).
        **overrides: Fields of :class:`SB3Config`.

    Example:
        >>> import rrm_gym
        >>> learner = SB3Learner(env_id="rrm/WebWalker-v0", env_kwargs={"difficulty": "easy"}, n_steps=64)
        >>> stats = learner.iteration()
        >>> stats["env_steps"]
        64
    """

    def __init__(self, config: SB3Config | None = None, *, judge: Judge | None = None, **overrides: Any) -> None:
        import torch
        from stable_baselines3.common.vec_env import DummyVecEnv

        base = asdict(config) if config is not None else {}
        self.config = SB3Config.from_dict({**base, **overrides})
        self._judge = judge
        cfg = self.config
        if cfg.torch_threads is not None:
            torch.set_num_threads(cfg.torch_threads)
        self.envs = [make_sb3_env(cfg, judge=judge) for _ in range(cfg.num_envs)]
        self.vec_env = DummyVecEnv([lambda e=e: e for e in self.envs])
        self.vec_env.seed(cfg.seed)
        algo_cls = self._algo_class()
        kwargs = {**default_ppo_kwargs(cfg), **cfg.ppo_kwargs}
        self.model = algo_cls("MlpPolicy", self.vec_env, **kwargs)
        self.model.rrm_sb3_config = self.config  # lets evaluate_sb3(model, ...) rebuild the same observations
        self.iterations = 0

    def _algo_class(self) -> type:
        if self.config.algo == "maskable_ppo":
            from sb3_contrib import MaskablePPO

            return MaskablePPO
        from stable_baselines3 import PPO

        return PPO

    @property
    def steps_per_iteration(self) -> int:
        """Env steps one :meth:`iteration` takes (``n_steps * num_envs``)."""
        return self.config.n_steps * self.config.num_envs

    @property
    def num_timesteps(self) -> int:
        """Env steps taken so far (kept across :meth:`save` / :meth:`load`)."""
        return int(self.model.num_timesteps)

    def iteration(self) -> dict[str, float]:
        """Collect one rollout and update the policy; return stats of the episodes that finished meanwhile."""
        self.model.learn(self.steps_per_iteration, reset_num_timesteps=False, log_interval=None)
        self.iterations += 1
        done = [row for env in self.envs for row in env.finished]
        for env in self.envs:
            env.finished.clear()
        stats: dict[str, float] = {"iteration": self.iterations, "env_steps": self.steps_per_iteration,
                                   "total_env_steps": self.num_timesteps, "episodes": len(done),
                                   "success_rate": _mean(done, "success"),
                                   "success_rate_first_attempt": _mean(done, "success_first")}
        for key in ("reward", "reward_env", "reward_rrm", "length", "invalid_actions"):
            stats[key] = _mean(done, key)
        judged = sum(r["judged"] for r in done)
        stats["judged_attempts"] = judged
        scored = judged - sum(r["judge_failures"] for r in done)
        stats["judge_score"] = sum(r["judge_score"] for r in done) / scored if scored > 0 else float("nan")
        for key in ("judge_failures", "judge_cached", "judge_latency_s", "refinements"):
            stats[key] = float(sum(r[key] for r in done))
        for key, value in self.model.logger.name_to_value.items():
            if key.startswith("train/"):
                stats[key] = float(value)
        return stats

    def learn(self, total_steps: int, *, progress: bool = True) -> list[dict[str, float]]:
        """Run iterations until ``total_steps`` more env steps are taken; return each iteration's stats."""
        from rich.progress import Progress

        n_iter = max(1, -(-int(total_steps) // self.steps_per_iteration))
        history = []
        with Progress(disable=not progress) as bar:
            task = bar.add_task("sb3", total=n_iter)
            for _ in range(n_iter):
                stats = self.iteration()
                history.append(stats)
                bar.update(task, advance=1, description=f"sb3 success={stats['success_rate']:.2f} "
                                                        f"reward={stats['reward']:.2f}")
        return history

    def evaluate(self, episodes: int = 50, split: str = "test", *, seed: int = 10_000,
                 deterministic: bool = True) -> float:
        """Success rate of the policy over ``episodes`` tasks of ``split``, without feedback (first attempt)."""
        return evaluate_sb3(self.model, self.config.env_id, episodes, split=split, seed=seed,
                            deterministic=deterministic, config=self.config)

    def save(self, path: str | Path) -> Path:
        """Write ``model.zip`` and ``sb3_config.json`` into the folder ``path``; return it."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(folder / _MODEL_FILE, exclude=["rrm_sb3_config"])
        meta = {**asdict(self.config), "iterations": self.iterations}
        (folder / _CONFIG_FILE).write_text(json.dumps(meta, indent=2, default=str))
        return folder

    def load(self, path: str | Path) -> None:
        """Load weights, optimizer state and step count saved by :meth:`save` into this learner."""
        folder = Path(path)
        model_file = folder / _MODEL_FILE
        if not model_file.is_file():
            raise FileNotFoundError(f"no SB3 checkpoint at {model_file}")
        self.model = self._algo_class().load(model_file, env=self.vec_env, device="cpu")
        self.model.rrm_sb3_config = self.config
        meta_file = folder / _CONFIG_FILE
        if meta_file.is_file():
            self.iterations = int(json.loads(meta_file.read_text()).get("iterations", 0))

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, judge: Judge | None = None, **overrides: Any) -> SB3Learner:
        """Rebuild a learner from a folder written by :meth:`save`."""
        meta = json.loads((Path(path) / _CONFIG_FILE).read_text())
        learner = cls(SB3Config.from_dict({**meta, **overrides}), judge=judge)
        learner.load(path)
        return learner

    def close(self) -> None:
        """Close the envs."""
        self.vec_env.close()


def evaluate_sb3(model: Any, env_id: str, episodes: int = 50, split: str = "test", *, seed: int = 10_000,
                 deterministic: bool = True, config: SB3Config | None = None, **env_kwargs: Any) -> float:
    """Success rate of an SB3 model on ``episodes`` tasks of ``split`` (plain env, no feedback).

    Args:
        model: A trained (Maskable)PPO whose observations come from the same encoder settings.
        env_id: The env to evaluate on.
        episodes: Number of episodes (task ``i`` is the reset with seed ``seed + i``).
        split: ``"test"`` for held-out tasks.
        seed: First reset seed.
        deterministic: Greedy actions.
        config: Encoder and action settings; ``None`` uses the config the model was trained with (models from
            :class:`SB3Learner` and :func:`train_sb3` carry it), else :class:`SB3Config` defaults.
        **env_kwargs: Extra ``gym.make`` options (merged over ``config.env_kwargs``).

    :func:`~rrm_gym.agents.bridges.sb3.evaluation.evaluate_sb3_result` gives the whole result (mean reward,
    steps, per-task results).
    """
    from rrm_gym.agents.bridges.sb3.evaluation import evaluate_sb3_result

    return evaluate_sb3_result(model, env_id, episodes, split, seed=seed, deterministic=deterministic,
                               config=config, **env_kwargs).success_rate


def train_sb3(env_id: str = "rrm/WebWalker-v0", feedback: str = "none", judge: str | Judge = "reference",
              total_steps: int = 4096, seed: int = 0, *, progress: bool = True, **config: Any) -> Any:
    """Train MaskablePPO (default) for ``total_steps`` env steps on ``env_id`` and return the SB3 model.

    ``feedback`` is ``"none"``, ``"critique"``, ``"reward"`` or ``"unified"``; ``judge`` a name or a callable;
    ``**config`` other :class:`SB3Config` fields (``encoder``, ``env_kwargs``, ``algo``, ...).
    """
    by_name = isinstance(judge, str)
    cfg = SB3Config(env_id=env_id, feedback=feedback, judge=judge if by_name else "reference", seed=seed, **config)
    learner = SB3Learner(cfg, judge=None if by_name else judge)
    learner.learn(total_steps, progress=progress)
    return learner.model
