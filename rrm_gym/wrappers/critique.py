"""C — critique / text-augmented refinement: the critique goes back to the agent, which tries the task again."""

from __future__ import annotations

import gymnasium as gym

from rrm_gym.judges.base import Judge
from rrm_gym.wrappers._attempt import FeedbackSettings
from rrm_gym.wrappers.feedback import FeedbackWrapper

__all__ = ["CritiqueObservationWrapper"]


class CritiqueObservationWrapper(FeedbackWrapper):
    """At the end of an attempt with refinements left, judge it and restart the same task with the critique.

    The episode does not end: the returned observation holds the question, the previous attempt and the critique,
    and ``info["attempt"]`` counts attempts. Rewards pass through unchanged. The same task is restarted by
    ``task_id`` when the env reports one, else by replaying the reset seed.

    Args:
        env: Any env with ``str`` observations and actions.
        judge: A judge callable.
        max_refinements: Refinements per episode (1 in the paper: attempts = 1 + max_refinements).
        on_error: ``"neutral"`` (refine with a generic critique), ``"skip"`` (end the episode) or ``"raise"``.
        refine: ``"always"`` (default; Reagent-U's training setting) refines every attempt while refinements are
            left, a correct one included; ``"on_failure"`` refines only attempts that did not succeed, so a
            successful attempt ends the episode. The episode's final ``info["is_success"]`` is that of its last
            attempt: under ``"always"`` a correct-then-wrong episode ends with ``is_success=False``; under
            ``"on_failure"`` it is true exactly when some attempt succeeded. ``info["previous"]["is_success"]`` on
            the first step of a refinement tells how the attempt before it ended.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> from rrm_gym.judges import make
        >>> env = CritiqueObservationWrapper(gym.make("rrm/WebWalker-v0"), make("reference"))
        >>> obs, info = env.reset(seed=0)
        >>> obs, r, term, trunc, info = env.step("\\\\boxed{no idea}")
        >>> term, info["attempt"], "Reviewer critique" in obs
        (False, 2, True)
    """

    def __init__(self, env: gym.Env, judge: Judge, max_refinements: int = 1, on_error: str = "neutral",
                 refine: str = "always"):
        super().__init__(env, judge, FeedbackSettings(shape=False, refine=True, max_refinements=max_refinements,
                                                      on_error=on_error, refine_when=refine))
