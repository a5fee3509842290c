"""``DistillConfig``: every setting of a distill run, saved as ``RUN_DIR/config.json`` so the run can resume."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rrm_gym.distill.collect import DEFAULT_MIX, parse_mix
from rrm_gym.distill.sft import SFTSettings

__all__ = ["DistillConfig", "DEFAULT_ENVS", "env_kwargs_for"]

DEFAULT_ENVS = ("rrm/WebWalker-v0", "rrm/MultiHopQA-v0")
# Settings that decide which data is collected and labelled: a resumed run must keep them.
DATA_KEYS = ("envs", "difficulty", "env_kwargs", "train_tasks", "val_tasks", "per_task", "mix", "max_episode_steps",
             "sources", "source_env", "val_fraction", "teacher", "teacher_opts", "seed")


def env_kwargs_for(env_id: str, difficulty: str, extra: dict[str, Any]) -> dict[str, Any]:
    """``gym.make`` kwargs: ``difficulty="auto"`` is WebWalker's easy tier (as ``rrm-gym train``), else the default.

    Example:
        >>> env_kwargs_for("rrm/WebWalker-v0", "auto", {}), env_kwargs_for("rrm/Math-v0", "auto", {})
        ({'difficulty': 'easy'}, {})
    """
    kwargs = dict(extra)
    if difficulty == "auto":
        if "WebWalker" in env_id:
            kwargs.setdefault("difficulty", "easy")
    elif difficulty not in ("", "default", "any"):
        kwargs.setdefault("difficulty", difficulty)
    return kwargs


@dataclass
class DistillConfig:
    """Settings of ``rrm-gym distill``; the defaults train in about 30 minutes on two free CPU cores.

    Attributes:
        out: The run directory.
        envs: Env ids to collect on (scripted solvers exist for WebWalker and MultiHopQA).
        difficulty: Task tier (``auto``: WebWalker ``easy``, others their default).
        env_kwargs: Extra ``gym.make`` kwargs for every env.
        train_tasks: Training tasks per env (from the env's ``train`` split).
        val_tasks: Validation tasks per env (from the env's ``test`` split: held out).
        per_task: Attempts per task, each by a different policy of the mix.
        mix: Policy weights (see :mod:`rrm_gym.distill.policies`).
        max_episode_steps: Steps per attempt at most.
        sources: JSONL files or ``rrm-gym train`` run directories to import trajectories from.
        source_env: Env id of imported trajectories that do not name one (for replay and references).
        val_fraction: Share of imported tasks that go to validation (by a hash of the task id).
        teacher: Teacher judge name; ``teacher_opts`` its options.
        teacher_batch: Requests per teacher call.
        student: Student base model folder (``None``: the bundled SmolLM2-135M-Instruct).
        sft: Fine-tuning settings.
        train: Fine-tune (``False``: collect and label only).
        seed: Seed of everything.

    Example:
        >>> cfg = DistillConfig(out="runs/judge", train_tasks=4)
        >>> DistillConfig.from_dict(cfg.to_dict()).train_tasks
        4
    """

    out: str = "runs/distill"
    envs: list[str] = field(default_factory=lambda: list(DEFAULT_ENVS))
    difficulty: str = "auto"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    train_tasks: int = 40
    val_tasks: int = 25
    per_task: int = 2
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    max_episode_steps: int = 8
    sources: list[str] = field(default_factory=list)
    source_env: str | None = None
    val_fraction: float = 0.2
    teacher: str = "reference"
    teacher_opts: dict[str, Any] = field(default_factory=dict)
    teacher_batch: int = 16
    student: str | None = None
    sft: SFTSettings = field(default_factory=lambda: SFTSettings(time_limit_s=1500.0))
    train: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        self.mix = parse_mix(self.mix)
        if isinstance(self.sft, dict):
            self.sft = SFTSettings(**self.sft)
        for name in ("train_tasks", "val_tasks", "max_episode_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.per_task < 1 or self.teacher_batch < 1:
            raise ValueError("per_task and teacher_batch must be >= 1")
        if not 0.0 <= self.val_fraction <= 1.0:
            raise ValueError("val_fraction must be in [0, 1]")
        if not self.envs and not self.sources:
            raise ValueError("give at least one env or one source of trajectories")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (``from_dict`` reads it back)."""
        data = dataclasses.asdict(self)
        data["sft"] = dataclasses.asdict(self.sft)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistillConfig:
        """Build from :meth:`to_dict` output; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown distill settings: {', '.join(unknown)}")
        return cls(**data)

    def save(self, folder: str | Path) -> None:
        """Write ``config.json`` into ``folder``."""
        from rrm_gym.distill.records import write_json

        write_json(Path(folder) / "config.json", self.to_dict())

    @classmethod
    def load(cls, folder: str | Path) -> DistillConfig:
        """Read ``folder/config.json``."""
        return cls.from_dict(json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")))

    def data_differences(self, other: DistillConfig) -> list[str]:
        """The data-deciding settings (:data:`DATA_KEYS`) in which ``other`` differs from this config."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [k for k in DATA_KEYS if mine.get(k) != theirs.get(k)]
