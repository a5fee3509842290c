"""Evaluate a trained run, a checkpoint or a model on held-out tasks (what ``rrm-gym eval`` calls).

:func:`evaluate_target` accepts:

* a run directory (has ``config.yaml``): its newest complete checkpoint, evaluated the way its agent acts;
* a checkpoint folder (``RUN_DIR/checkpoints/iter-…``);
* a policy folder written by ``LLMPolicy.save`` (has ``policy.json``);
* a model: a Hugging Face folder, a hub id, or ``smollm2``/``bundled`` for the bundled SmolLM2 (no training).

The evaluation runs the plain env (no feedback) and reports the success rate with a Wilson 95% interval, mean env
reward, mean steps and per-task results, for every agent. ``feedback="critique"`` evaluates with critiques at
inference instead (Reagent-C): after each first attempt the judge (the run's, unless another is given) critiques
it and the agent tries the same task once more, always (``refine="always"``, so right answers can be broken too);
the result's ``critique`` block reports success at attempt 1, success after the refinement, and how many answers
the refinement fixed and broke.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rrm_gym.agents.run.checkpoint import META_FILE, latest_checkpoint
from rrm_gym.agents.run.preflight import check_env_for

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
              progress: bool, judge: Any = None) -> dict[str, Any]:
    from rrm_gym.agents.run.evaluate import evaluate

    wrap = None
    if judge is not None:
        from rrm_gym.wrappers import CritiqueObservationWrapper

        def wrap(env: Any) -> Any:
            return CritiqueObservationWrapper(env, judge, max_refinements=1, refine="always")

    return evaluate(policy.as_agent(greedy=True), env, episodes=episodes, split=split, seed=seed,
                    num_envs=min(8, episodes), env_kwargs=env_kwargs, progress=progress, wrap=wrap).to_dict()


def _critique_judge(feedback: str, judge: str | None, judge_opts: dict[str, Any] | None, config: Any) -> Any:
    """The judge of a ``feedback="critique"`` evaluation (the run's judge by default), or ``None`` for ``none``."""
    if feedback == "none":
        return None
    if feedback != "critique":
        raise ValueError(f"an evaluation takes feedback 'none' or 'critique', got {feedback!r}")
    from rrm_gym.agents.run.judge_watch import FailureTap
    from rrm_gym.judges import make
    from rrm_gym.judges.registry import check_options

    run_judge = config is not None and config.feedback != "none"
    name = judge or (config.judge if run_judge else "reference")
    opts = dict(judge_opts) if judge_opts is not None else (
        dict(config.judge_opts) if run_judge and name == config.judge else {})
    check_options(name, opts)
    return FailureTap(make(name, **opts))


def evaluate_target(
    target: str | Path,
    env: str | None = None,
    episodes: int = 50,
    split: str = "test",
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = False,
    feedback: str = "none",
    judge: str | None = None,
    judge_opts: dict[str, Any] | None = None,
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
        feedback: ``"none"`` (the plain env) or ``"critique"`` (critiques at inference; see the module docstring).
        judge: Judge name for ``feedback="critique"`` (default: the run's judge, else ``reference``).
        judge_opts: Its options (default: the run's, when it is the run's judge).

    Returns:
        ``EvalResult.to_dict()`` plus ``"target"`` and ``"kind"`` (and, with critiques, ``"feedback"`` and the
        judge's name and failure count in the ``critique`` block).
    """
    kind, where, run_dir = resolve_target(target)
    extra = dict(env_kwargs or {})
    if kind == "run":
        from rrm_gym.agents.run.config import TrainConfig

        assert run_dir is not None
        config = TrainConfig.load(run_dir / "config.yaml")
        if env is None or env == config.env:
            env, extra = config.env, {**config.env_kwargs_resolved(), **extra}
        check_env_for(env, extra, agent=config.agent)  # before the model loads
        critic = _critique_judge(feedback, judge, judge_opts, config)
        result = _eval_run(config, Path(where) / "learner", env, episodes, split, seed, extra, progress, critic)
    else:
        if env is None:
            raise ValueError("--env is required when evaluating a model or policy folder")
        check_env_for(env, extra)  # before the model loads
        critic = _critique_judge(feedback, judge, judge_opts, None)
        from rrm_gym.agents.llm.policy import LLMPolicy

        policy = (LLMPolicy.load(where, value_head=False) if kind == "policy"
                  else LLMPolicy(str(where), lora=False, value_head=False))
        result = _llm_eval(policy, env, episodes, split, seed, extra, progress, critic)
    if critic is not None:
        result["feedback"] = "critique"
        result["critique"] = {**result.get("critique", {}), "judge": critic.name, "judge_failures": critic.failures,
                              "judge_first_error": critic.first_error}
    return {**result, "target": str(target), "kind": kind}


def _eval_run(config: Any, learner_dir: Path, env: str, episodes: int, split: str, seed: int,
              env_kwargs: dict[str, Any], progress: bool, judge: Any = None) -> dict[str, Any]:
    if config.agent in ("ppo", "grpo"):
        from rrm_gym.agents.llm.policy import LLMPolicy

        policy = LLMPolicy.load(learner_dir / "policy", value_head=False)
        return _llm_eval(policy, env, episodes, split, seed, env_kwargs, progress, judge)
    if config.agent == "sb3":
        from rrm_gym.agents.bridges.sb3.backend import evaluate_sb3_checkpoint

        return evaluate_sb3_checkpoint(learner_dir, env, episodes, split, seed, env_kwargs,
                                       feedback="none" if judge is None else "critique", judge=judge)
    if judge is not None:
        raise ValueError("--feedback critique is not supported for trl runs yet (evaluate the run without it)")
    from rrm_gym.agents.bridges.trl.backend import evaluate_trl_checkpoint

    return evaluate_trl_checkpoint(config, learner_dir, env, episodes, split, seed, env_kwargs, progress)
