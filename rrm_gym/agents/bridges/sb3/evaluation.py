"""Evaluate an SB3 model on held-out tasks with the same complete result as every other agent.

:func:`evaluate_sb3_result` plays ``episodes`` greedy episodes through the SB3 env stack (encoder and discrete
view as in training) and returns an :class:`~rrm_gym.agents.run.eval_result.EvalResult`: success rate with a
Wilson interval, mean env reward, mean steps and per-task results. With ``feedback="critique"`` it evaluates with
critiques at inference (Reagent-C): the judge critiques each first attempt, the model tries the task again, and
the result's ``critique`` block says how many answers the refinement fixed and broke.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rrm_gym.agents.bridges.sb3.learner import SB3Config, make_sb3_env
from rrm_gym.agents.run.eval_result import EpisodeOutcome, EvalResult, summarise_results

__all__ = ["evaluate_sb3_result"]

_STEP_CAP = 1000  # safety net for envs without a time limit


def evaluate_sb3_result(model: Any, env_id: str, episodes: int = 50, split: str = "test", *, seed: int = 10_000,
                        deterministic: bool = True, config: SB3Config | None = None, feedback: str = "none",
                        judge: Any = None, **env_kwargs: Any) -> EvalResult:
    """The :class:`EvalResult` of an SB3 model on ``episodes`` tasks of ``split`` (episode ``i``: seed ``seed + i``).

    Args:
        model: A trained (Maskable)PPO whose observations come from the same encoder settings.
        env_id: The env to evaluate on.
        episodes: Number of episodes.
        split: ``"test"`` for held-out tasks.
        seed: First reset seed.
        deterministic: Greedy actions.
        config: Encoder and action settings (default: the config the model was trained with, else defaults).
        feedback: ``"none"`` (the plain env) or ``"critique"`` (one refinement with the judge's critique, refined
            always, so the result tells fixed from broken answers).
        judge: The judge callable for ``feedback="critique"`` (default: ``config.judge``).
        **env_kwargs: Extra ``gym.make`` options (merged over ``config.env_kwargs``).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if feedback not in ("none", "critique"):
        raise ValueError(f"feedback must be 'none' or 'critique' for an evaluation, got {feedback!r}")
    config = config or getattr(model, "rrm_sb3_config", None) or SB3Config()
    cfg = SB3Config.from_dict({**asdict(config), "env_id": env_id, "max_refinements": 1})
    cfg.env_kwargs = {**cfg.env_kwargs, **env_kwargs}
    env = make_sb3_env(cfg, split=split, feedback=feedback, judge=judge)
    expected = getattr(model.observation_space, "shape", None)
    if expected != env.observation_space.shape:
        env.close()
        raise ValueError(f"the model expects observations of shape {expected} but encoder={cfg.encoder!r}, "
                         f"dim={cfg.dim}, max_actions={cfg.max_actions} give {env.observation_space.shape}; "
                         "pass the training config")
    masked = type(model).__name__ == "MaskablePPO"
    results: list[EpisodeOutcome] = []
    try:
        for i in range(episodes):
            obs, info = env.reset(seed=seed + i)
            task = str(info.get("task_id", f"episode-{i}"))
            total, steps, attempt, first = 0.0, 0, 1, None
            for _ in range(_STEP_CAP):
                kwargs = {"action_masks": env.get_wrapper_attr("action_masks")()} if masked else {}
                action, _ = model.predict(obs, deterministic=deterministic, **kwargs)
                obs, reward, terminated, truncated, info = env.step(int(action))
                total += float(info.get("reward_env", reward))
                steps += 1
                if terminated or truncated:
                    break
                if int(info.get("attempt", attempt)) != attempt:  # a refinement began
                    first = bool((info.get("previous") or {}).get("is_success")) if attempt == 1 else first
                    attempt = int(info["attempt"])
            success = bool(info.get("is_success", False))
            if feedback == "critique" and attempt == 1:
                first = success
            results.append(EpisodeOutcome(task, success, total, steps, first, attempt))
    finally:
        env.close()
    return summarise_results(results, env_id, split)
