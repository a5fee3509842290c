"""Checks of a run's settings before any heavy work: no model is loaded and no run directory is made yet.

:func:`check_settings` is what :func:`~rrm_gym.agents.run.runner.run_training` calls first (and ``rrm-gym compare``
for every cell before the first one starts). It raises :class:`~rrm_gym.agents.run.validate.ConfigError` (a
``ValueError``: one sentence that says what is wrong and how to fix it) for a setting that cannot work:

* an env id that is not registered (with the closest registered id);
* a model that is neither an existing model folder nor a Hugging Face hub id that can be had (the message says
  which reading failed), or a model given to an agent that takes none (``sb3``);
* a judge name or judge options its backend does not take, or that miss a required one;
* agent options the agent does not know, or values its config rejects; a missing optional dependency;
* an ``openai`` judge server that does not answer, when ``on_error="raise"``.

It returns warnings for settings that are accepted but have no effect (a judge under ``feedback="none"``, an action
mode the agent ignores) and for an unreachable ``openai`` judge under ``on_error="neutral"``/``"skip"``.
The field types and ranges are checked earlier, by the config itself (:mod:`rrm_gym.agents.run.validate`).
"""

from __future__ import annotations

import difflib
import importlib.util
from dataclasses import fields
from typing import Any

from rrm_gym.agents.run.validate import ConfigError

__all__ = ["check_settings", "check_env_id", "ConfigError"]

_DEPENDENCIES = {
    "ppo": (("torch", "transformers", "peft"), "rrm-gym[hf]"),
    "grpo": (("torch", "transformers", "peft"), "rrm-gym[hf]"),
    "sb3": (("torch", "stable_baselines3", "sb3_contrib"), "rrm-gym[train]"),
    "trl": (("torch", "transformers", "peft", "trl"), "rrm-gym[hf,train]"),
}


def check_env_id(env_id: str) -> None:
    """Raise ``ValueError`` unless ``env_id`` is registered (``module:Name-v0`` ids import their module first).

    Example:
        >>> check_env_id("rrm/WebWalkr-v0")
        Traceback (most recent call last):
        ...
        ValueError: unknown env 'rrm/WebWalkr-v0'; did you mean 'rrm/WebWalker-v0'? `rrm-gym envs` lists the ids
    """
    import gymnasium as gym

    import rrm_gym  # noqa: F401 - registers the rrm/* ids
    from rrm_gym.envs.from_id import import_env_module

    try:
        import_env_module(env_id)  # gym.spec does not import the module of a module:Id id itself
        gym.spec(env_id.split(":", 1)[-1])
        return
    except ModuleNotFoundError as exc:
        module = env_id.split(":", 1)[0]
        raise ValueError(f"env {env_id!r}: cannot import module {module!r} ({exc.msg})") from None
    except gym.error.Error:
        pass
    name = env_id.split(":", 1)[-1]
    close = difflib.get_close_matches(name, list(gym.registry), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown env {env_id!r}; {hint}`rrm-gym envs` lists the ids")


def _check_dependencies(agent: str) -> None:
    modules, extra = _DEPENDENCIES[agent]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ValueError(f"agent {agent} needs {', '.join(missing)}: pip install '{extra}'")


def _check_judge(config: Any, warnings: list[str]) -> None:
    from rrm_gym.judges.registry import check_options
    from rrm_gym.models import check_model_source

    if config.feedback == "none":
        if config.judge != "reference" or config.judge_opts:
            warnings.append(f"feedback is none, so the judge ({config.judge}, judge options "
                            f"{sorted(config.judge_opts) or 'none'}) is not used")
        return
    if "cache" in config.judge_opts:
        raise ValueError("judge option 'cache' is set by the run (RUN_DIR/judge_cache.sqlite); use "
                         "--judge-cache/--no-judge-cache")
    check_options(config.judge, config.judge_opts)
    if config.judge == "hf" and config.judge_opts.get("model") is not None:
        problem = check_model_source(config.judge_opts["model"])
        if problem:
            raise ValueError(f"judge option model: {problem}")
    if config.judge == "openai":
        _check_judge_server(config, warnings)


def _check_judge_server(config: Any, warnings: list[str]) -> None:
    from rrm_gym.judges.openai_compat import OpenAIJudge

    try:
        probe = OpenAIJudge(**config.judge_opts)
    except TypeError as exc:
        raise ValueError(f"judge options: {exc}") from None
    problem = probe.health_check()
    if problem is None:
        return
    if config.on_error == "raise":
        raise ValueError(f"{problem} (and on_error is raise)")
    warnings.append(f"{problem}. Every judgement will fail and count as {config.on_error} (on_error="
                    f"{config.on_error}), so training gets no RRM feedback until the server answers")


def _check_model(config: Any, warnings: list[str]) -> None:
    from rrm_gym.models import check_model_source

    if config.agent == "sb3":
        if config.model is not None:
            raise ValueError("agent sb3 takes no model (it trains a small MaskablePPO network on encoded "
                             "observations); drop --model, or use --agent ppo/grpo/trl for an LLM")
        if config.action_mode != "choose":
            warnings.append(f"action_mode {config.action_mode!r} is ignored by agent sb3 (it always chooses)")
        return
    if config.agent == "trl" and config.action_mode != "choose":
        warnings.append(f"action_mode {config.action_mode!r} is ignored by agent trl (it generates tool calls)")
    problem = check_model_source(config.model)
    if problem:
        raise ValueError(problem)


def _check_agent_opts(config: Any) -> None:
    opts = {str(k).replace("-", "_"): v for k, v in config.agent_opts_resolved().items()}
    try:
        if config.agent in ("ppo", "grpo"):
            from rrm_gym.agents.llm.backend import split_agent_opts
            from rrm_gym.agents.llm.config import GRPOConfig, PPOConfig

            learner_cls = PPOConfig if config.agent == "ppo" else GRPOConfig
            _, learner = split_agent_opts(opts, learner_cls)
            learner_cls.from_dict(learner)
        elif config.agent == "sb3":
            from rrm_gym.agents.bridges.sb3.backend import _FIXED
            from rrm_gym.agents.bridges.sb3.learner import SB3Config

            clash = sorted(set(opts) & set(_FIXED))
            if clash:
                raise ValueError(f"agent options {clash} are set by the run's own options (--env, --feedback, ...)")
            known = [f.name for f in fields(SB3Config)]
            unknown = sorted(set(opts) - set(known))
            if unknown:
                raise ValueError(f"unknown sb3 agent option(s) {unknown}; SB3Config fields: {', '.join(known)}")
            SB3Config.from_dict(opts)
        elif config.agent == "trl":
            from trl import GRPOConfig as TRLConfig

            from rrm_gym.agents.bridges.trl.backend import _OWN_OPTS

            unknown = sorted(set(opts) - {f.name for f in fields(TRLConfig)} - set(_OWN_OPTS))
            if unknown:
                raise ValueError(f"unknown trl agent option(s) {unknown}; they must be trl.GRPOConfig fields or "
                                 f"one of {', '.join(_OWN_OPTS)}")
    except TypeError as exc:
        raise ValueError(f"agent options: {exc}") from None


def check_settings(config: Any) -> list[str]:
    """Check ``config`` (a :class:`~rrm_gym.agents.run.config.TrainConfig`) before a run; return its warnings.

    Raises:
        ConfigError: A setting that cannot work (see the module docstring); a ``ValueError``.
    """
    warnings: list[str] = []
    try:
        check_env_id(config.env)
        _check_dependencies(config.agent)
        _check_model(config, warnings)
        _check_judge(config, warnings)
        _check_agent_opts(config)
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return warnings
