"""``TrainConfig``: every option of ``rrm-gym train``, loadable from YAML or TOML, overridable from the command line.

Precedence, lowest first: the dataclass defaults, a config file (``--config FILE``, ``.yaml``/``.yml``/``.toml``),
then the flags given on the command line. The resolved config is written to ``RUN_DIR/config.yaml`` and read back
by ``--resume`` and ``rrm-gym eval``.

Budgets: ``iterations`` counts learner updates and ``total_steps`` counts env steps (agent actions sent to the
env, refinement attempts included). Training stops as soon as either budget is reached; with neither set, the
agent's default budget applies (:data:`DEFAULT_BUDGETS`). How one iteration maps to env steps per agent:

* ``ppo``: one rollout of ``agent_opts["num_steps"]`` (``PPOConfig.num_steps``) steps per env, then one update.
* ``grpo``: one group of episodes per task (``n`` samples, 2n under U), then one update.
* ``sb3``: one SB3 rollout of ``n_steps * num_envs`` env steps, then one PPO update.
* ``trl``: one ``GRPOTrainer`` optimizer step (``max_steps`` = iterations); env steps are the tool calls and final
  answers its rollouts send to the envs.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

__all__ = ["TrainConfig", "AGENTS", "DEFAULT_BUDGETS", "DEFAULT_AGENT_OPTS", "IDENTITY_FIELDS", "load_config_file",
           "DEFAULT_ENV"]

AGENTS = ("ppo", "grpo", "sb3", "trl")
FEEDBACK = ("none", "critique", "reward", "unified")
ACTION_MODES = ("choose", "generate")
DEFAULT_ENV = "rrm/WebWalker-v0"
_AUTO_ENV_KWARGS: dict[str, dict[str, Any]] = {DEFAULT_ENV: {"difficulty": "easy", "max_episode_steps": 4}}

DEFAULT_BUDGETS: dict[str, dict[str, int]] = {
    "ppo": {"iterations": 12},
    "grpo": {"iterations": 6},
    "sb3": {"total_steps": 16384},
    "trl": {"iterations": 4},
}
"""Budget used when neither ``iterations`` nor ``total_steps`` is given (sized for 2 CPU cores, < 10 minutes)."""

_LLM_OPTS = {"max_new_tokens": 24, "max_prompt_tokens": 512}
DEFAULT_AGENT_OPTS: dict[str, dict[str, Any]] = {
    # choose mode, tuned with benchmarks/llm_learning.py: 8 envs x 8 steps per iteration, 16 turns per minibatch
    "ppo": {**_LLM_OPTS, "num_steps": 8, "num_minibatches": 4, "learning_rate": 2e-3, "update_epochs": 2,
            "ent_coef": 0.01},
    "grpo": {**_LLM_OPTS, "num_minibatches": 8},
    "sb3": {},
    "trl": {"max_completion_length": 128},  # tool results count toward it; keeps CPU memory near 5 GB
}
"""Agent settings of the main job, under the user's ``agent_opts`` (sized with :data:`DEFAULT_BUDGETS`)."""

IDENTITY_FIELDS = ("env", "feedback", "judge", "agent", "model", "action_mode", "num_envs", "seed", "lam",
                   "max_refinements")
"""Fields a resumed run may not change (the checkpoint was trained with them)."""


@dataclass
class TrainConfig:
    """All settings of one training run.

    Attributes:
        env: Env id (any registered ``rrm/*`` id).
        difficulty: Task tier, asked for as the reset option ``difficulty`` (envs without tiers ignore it; see
            :mod:`rrm_gym.envs.task_options`). ``"auto"`` is the main job's setting for
            ``rrm/WebWalker-v0`` (``difficulty="easy"``, episodes capped at ``max_episode_steps=4``: the easy
            tasks need one or two clicks and an answer) and the env's own defaults for other envs; ``None``
            passes nothing.
        env_kwargs: Extra ``gym.make`` kwargs.
        feedback: ``none``, ``critique`` (C), ``reward`` (R) or ``unified`` (U).
        judge: Judge name for ``rrm_gym.judges.make`` (``reference``, ``hf``, ``openai``, ``vllm``, ``constant``).
        judge_opts: Judge options (e.g. ``{"base_url": "http://127.0.0.1:8000/v1", "model": "Agent-RRM"}``).
        judge_cache: Cache judgements in ``RUN_DIR/judge_cache.sqlite`` (survives kills and resumes).
        lam: λ of the shaped reward ``env + λ·score``.
        max_refinements: Refinement attempts per episode under C and U.
        on_error: Judge failure policy: ``neutral``, ``skip`` or ``raise``.
        agent: ``ppo``, ``grpo`` (bundled LLM learners), ``sb3`` (MaskablePPO bridge) or ``trl`` (GRPOTrainer).
        model: Model folder or hub id for the LLM agents; ``None`` is the bundled SmolLM2-135M-Instruct.
        action_mode: How the ``ppo``/``grpo`` LLM policy acts: ``choose`` (a softmax over the env's candidate
            actions, scored by the model; what a small model on a CPU learns with) or ``generate`` (free text).
        agent_opts: Settings of the agent's own config (PPOConfig / GRPOConfig / LLMPolicy / SB3Config / TRL
            GRPOConfig fields); a new run stores them merged over :data:`DEFAULT_AGENT_OPTS`.
        seed: Seed of envs, sampling and initialisation.
        total_steps: Env-step budget (``None``: no step budget).
        iterations: Learner-update budget (``None``: no iteration budget).
        num_envs: Envs stepped in parallel.
        vectorization_mode: ``sync`` or ``async`` vector env.
        eval_episodes: Held-out episodes for the before/after evaluation (0 skips it).
        eval_split: Task split of the evaluation (``test`` = held-out tasks).
        eval_before: Evaluate before training.
        out: Run directory (``None``: ``runs/<timestamp>-<env>-<feedback>-<agent>``).
        checkpoint_every: Save a checkpoint every this many iterations (and always after the last).
        keep_checkpoints: How many checkpoints to keep.
        tensorboard: Write TensorBoard events to ``RUN_DIR/tb``.
        progress: Show progress bars.

    Example:
        >>> cfg = TrainConfig.from_sources({"agent": "grpo"}, {"seed": 3})
        >>> cfg.agent, cfg.seed, cfg.env_kwargs_resolved()
        ('grpo', 3, {'difficulty': 'easy', 'max_episode_steps': 4})
    """

    env: str = DEFAULT_ENV
    difficulty: str | None = "auto"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    feedback: str = "unified"
    judge: str = "reference"
    judge_opts: dict[str, Any] = field(default_factory=dict)
    judge_cache: bool = True
    lam: float = 0.3
    max_refinements: int = 1
    on_error: str = "neutral"
    agent: str = "ppo"
    model: str | None = None
    action_mode: str = "choose"
    agent_opts: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    total_steps: int | None = None
    iterations: int | None = None
    num_envs: int = 8
    vectorization_mode: str = "sync"
    eval_episodes: int = 50
    eval_split: str = "test"
    eval_before: bool = True
    out: str | None = None
    checkpoint_every: int = 1
    keep_checkpoints: int = 2
    tensorboard: bool = True
    progress: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` with a clear message for an invalid setting (:mod:`rrm_gym.agents.run.validate`)."""
        from rrm_gym.agents.run.validate import check_fields

        check_fields(self)

    # ------------------------------------------------------------------ derived values
    def env_kwargs_resolved(self) -> dict[str, Any]:
        """Env kwargs: ``env_kwargs`` plus the difficulty tier (a reset option once the env is built)."""
        if self.difficulty == "auto":
            return {**_AUTO_ENV_KWARGS.get(self.env, {}), **self.env_kwargs}
        kwargs = dict(self.env_kwargs)
        if self.difficulty is not None:
            kwargs.setdefault("difficulty", self.difficulty)
        return kwargs

    def agent_opts_resolved(self) -> dict[str, Any]:
        """``agent_opts`` over the agent's main-job defaults (:data:`DEFAULT_AGENT_OPTS`)."""
        return {**DEFAULT_AGENT_OPTS.get(self.agent, {}), **self.agent_opts}

    def budget(self) -> tuple[int | None, int | None]:
        """``(iterations, total_steps)`` to train for; the agent's default when neither is set."""
        if self.iterations is None and self.total_steps is None:
            default = DEFAULT_BUDGETS[self.agent]
            return default.get("iterations"), default.get("total_steps")
        return self.iterations, self.total_steps

    def default_run_name(self, timestamp: str) -> str:
        """``<timestamp>-<env>-<feedback>-<agent>`` with the env id made filesystem-safe."""
        env = self.env.split("/")[-1].replace(":", "-")
        return f"{timestamp}-{env}-{self.feedback}-{self.agent}"

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """A plain dict of all fields."""
        return asdict(self)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the config as YAML (atomically)."""
        out = Path(path)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")
        os.replace(tmp, out)
        return out

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of all settings."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict; keys may use dashes; unknown keys raise ``ValueError`` naming the valid ones."""
        clean = {str(k).replace("-", "_"): v for k, v in data.items()}
        unknown = sorted(set(clean) - set(cls.field_names()))
        if unknown:
            raise ValueError(f"unknown config key(s) {unknown}; valid keys: {', '.join(cls.field_names())}")
        return cls(**clean)

    @classmethod
    def from_sources(cls, file_values: dict[str, Any] | None, overrides: dict[str, Any] | None) -> TrainConfig:
        """Defaults, then ``file_values`` (a config file), then ``overrides`` (command-line flags)."""
        merged: dict[str, Any] = {}
        for source in (file_values or {}, overrides or {}):
            merged.update({str(k).replace("-", "_"): v for k, v in source.items()})
        return cls.from_dict(merged)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrainConfig:
        """Load a config file (YAML or TOML) on its own."""
        return cls.from_dict(load_config_file(path))


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or TOML (``.toml``) config file into a flat dict of settings.

    A file whose only top-level key is ``train`` (a table) is read from that table.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.toml"
        >>> _ = p.write_text('agent = "grpo"\\n[judge_opts]\\nscore = 0.5\\n')
        >>> load_config_file(p)
        {'agent': 'grpo', 'judge_opts': {'score': 0.5}}
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file {p} does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            data: Any = _toml().loads(text)
        else:
            data = yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:  # TOMLDecodeError is a ValueError
        raise ValueError(f"cannot parse config file {p}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"config file {p} must hold a mapping of settings, got {type(data).__name__}")
    if set(data) == {"train"} and isinstance(data["train"], dict):
        data = data["train"]
    return dict(data)


def _toml() -> Any:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise ImportError("TOML config files need Python >= 3.11 or `pip install tomli`") from exc
    return tomllib
