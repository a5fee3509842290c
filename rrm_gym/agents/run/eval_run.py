"""Evaluate a trained run, a checkpoint or a model on held-out tasks (what ``rrm-gym eval`` calls).

:func:`evaluate_target` accepts:

* a run directory (has ``config.yaml``): its newest complete checkpoint, evaluated the way its agent acts;
* a checkpoint folder (``RUN_DIR/checkpoints/iter-…``);
* a policy folder written by ``LLMPolicy.save`` (has ``policy.json``);
* a model: a Hugging Face folder, a hub id, or ``smollm2``/``bundled`` for the bundled SmolLM2 (no training).

The evaluation runs the plain env (no feedback) and reports the success rate with a Wilson 95% interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rrm_gym.agents.run.checkpoint import META_FILE, latest_checkpoint

__all__ = ["evaluate_target", "resolve_target"]


def resolve_target(target: str | Path) -> tuple[str, Path | str, Path | None]:
    """Classify ``target``: ``("run", checkpoint, run_dir)``, ``("policy", folder, None)`` or ``("model", id, None)``.

    Raises:
        FileNotFoundError: A run directory without any complete checkpoint.
    """
    path = Path(target)
    if (path / "config.yaml").is_file():
        ck = latest_checkpoint(path)
        if ck is None:
            raise FileNotFoundError(f"run {path} has no complete checkpoint yet")
        return "run", ck.path, path
    if (path / META_FILE).is_file() and (path.parent.parent / "config.yaml").is_file():
        return "run", path, path.parent.parent
    if (path / "policy.json").is_file():
        return "policy", path, None
    return "model", str(target), None


def _llm_eval(policy: Any, env: str, episodes: int, split: str, seed: int, env_kwargs: dict[str, Any],
              progress: bool) -> dict[str, Any]:
    from rrm_gym.agents.run.evaluate import evaluate

    return evaluate(policy.as_agent(greedy=True), env, episodes=episodes, split=split, seed=seed,
                    num_envs=min(8, episodes), env_kwargs=env_kwargs, progress=progress).to_dict()


def evaluate_target(
    target: str | Path,
    env: str | None = None,
    episodes: int = 50,
    split: str = "test",
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Success rate (with a 95% CI) of a run / checkpoint / policy / model on ``episodes`` tasks of ``split``.

    Args:
        target: See the module docstring.
        env: Env id; defaults to the run's env (required for a bare model or policy).
        episodes: Number of episodes.
        split: Task split (``test`` = held-out tasks).
        seed: Episode ``k`` resets with ``seed + k``.
        env_kwargs: ``gym.make`` kwargs; for a run on its own env, the run's (e.g. ``difficulty``) are the default.
        progress: Show a progress bar.

    Returns:
        ``EvalResult.to_dict()`` plus ``"target"`` and ``"kind"``.
    """
    kind, where, run_dir = resolve_target(target)
    extra = dict(env_kwargs or {})
    if kind == "run":
        from rrm_gym.agents.run.config import TrainConfig

        assert run_dir is not None
        config = TrainConfig.load(run_dir / "config.yaml")
        if env is None or env == config.env:
            env, extra = config.env, {**config.env_kwargs_resolved(), **extra}
        result = _eval_run(config, Path(where) / "learner", env, episodes, split, seed, extra, progress)
    else:
        if env is None:
            raise ValueError("--env is required when evaluating a model or policy folder")
        from rrm_gym.agents.llm.policy import LLMPolicy

        policy = (LLMPolicy.load(where, value_head=False) if kind == "policy"
                  else LLMPolicy(str(where), lora=False, value_head=False))
        result = _llm_eval(policy, env, episodes, split, seed, extra, progress)
    return {**result, "target": str(target), "kind": kind}


def _eval_run(config: Any, learner_dir: Path, env: str, episodes: int, split: str, seed: int,
              env_kwargs: dict[str, Any], progress: bool) -> dict[str, Any]:
    if config.agent in ("ppo", "grpo"):
        from rrm_gym.agents.llm.policy import LLMPolicy

        policy = LLMPolicy.load(learner_dir / "policy", value_head=False)
        return _llm_eval(policy, env, episodes, split, seed, env_kwargs, progress)
    if config.agent == "sb3":
        from rrm_gym.agents.bridges.sb3.backend import evaluate_sb3_checkpoint

        return evaluate_sb3_checkpoint(learner_dir, env, episodes, split, seed, env_kwargs)
    from rrm_gym.agents.bridges.trl.backend import evaluate_trl_checkpoint

    return evaluate_trl_checkpoint(config, learner_dir, env, episodes, split, seed, env_kwargs, progress)
