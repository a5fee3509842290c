"""Type and range checks of every :class:`~rrm_gym.agents.run.config.TrainConfig` field, in one place.

``TrainConfig.validate`` calls :func:`check_fields`, so command-line flags, config files (``--config``), a resumed
run's ``config.yaml`` and library callers all meet the same checks, before any model is loaded or any run
directory is created. A bad value raises ``ValueError`` with one sentence that names the field, what it must be and
what it got (``lam must be a number, got 'lots' (str)``). Numbers read from YAML or TOML as integers are accepted
for float fields and stored as floats.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

__all__ = ["check_fields", "CHOICES", "ConfigError"]


class ConfigError(ValueError):
    """A run setting that cannot work (raised before any model is loaded or any run directory is made)."""

CHOICES: dict[str, tuple[str, ...]] = {
    "feedback": ("none", "critique", "reward", "unified"),
    "agent": ("ppo", "grpo", "sb3", "trl"),
    "action_mode": ("choose", "generate"),
    "on_error": ("neutral", "skip", "raise"),
    "vectorization_mode": ("sync", "async"),
}
"""Fields that take one of a few names."""

_TEXT = ("env", "judge", "eval_split")
_OPTIONAL_TEXT = ("difficulty", "model", "out")
_BOOLS = ("judge_cache", "eval_before", "tensorboard", "progress")
_MAPPINGS = ("env_kwargs", "judge_opts", "agent_opts")
_INTS = {"num_envs": 1, "checkpoint_every": 1, "keep_checkpoints": 1, "max_refinements": 0, "eval_episodes": 0}
_OPTIONAL_INTS = {"total_steps": 1, "iterations": 1}


def _got(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_fields(config: Any) -> None:
    """Raise :class:`ConfigError` for the first field of ``config`` whose type or range is wrong; normalise floats.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> check_fields(NS(lam="lots"))
        Traceback (most recent call last):
        ...
        rrm_gym.agents.run.validate.ConfigError: lam must be a number, got 'lots' (str)
    """
    names = set(vars(config))
    for name, options in CHOICES.items():
        if name in names and getattr(config, name) not in options:
            raise ConfigError(f"{name} must be one of {', '.join(options)}; got {_got(getattr(config, name))}")
    for name in _TEXT:
        if name in names and (not isinstance(getattr(config, name), str) or not getattr(config, name).strip()):
            raise ConfigError(f"{name} must be a non-empty string, got {_got(getattr(config, name))}")
    for name in _OPTIONAL_TEXT:
        value = getattr(config, name, None)
        if isinstance(value, os.PathLike):  # a pathlib.Path for a folder: stored as text (config.yaml holds it)
            value = os.fspath(value)
            setattr(config, name, value)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{name} must be a non-empty string or unset, got {_got(value)}")
    for name in _BOOLS:
        if name in names and not isinstance(getattr(config, name), bool):
            raise ConfigError(f"{name} must be true or false, got {_got(getattr(config, name))}")
    for name in _MAPPINGS:
        if name in names and not isinstance(getattr(config, name), dict):
            raise ConfigError(f"{name} must be a mapping of settings, got {_got(getattr(config, name))}")
    for name, low in _INTS.items():
        value = getattr(config, name, low)
        if not _is_int(value) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {_got(value)}")
        if name in names:
            setattr(config, name, int(value))  # numpy integers become plain ones (config.yaml holds them)
    for name, low in _OPTIONAL_INTS.items():
        value = getattr(config, name, None)
        if value is not None and (not _is_int(value) or value < low):
            raise ConfigError(f"{name} must be an integer >= {low} or unset, got {_got(value)}")
        if value is not None:
            setattr(config, name, int(value))
    if "seed" in names:
        if not _is_int(config.seed):
            raise ConfigError(f"seed must be an integer, got {_got(config.seed)}")
        config.seed = int(config.seed)
    if "lam" in names:
        lam = config.lam
        if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
            raise ConfigError(f"lam must be a number, got {_got(lam)}")
        if not math.isfinite(lam) or lam < 0:
            raise ConfigError(f"lam must be a finite number >= 0, got {lam!r}")
        config.lam = float(lam)
