"""U — unified feedback: critique-driven refinement and shaped reward on every attempt."""

from __future__ import annotations

import gymnasium as gym

from rrm_gym.judges.base import Judge
from rrm_gym.wrappers._attempt import FeedbackSettings
from rrm_gym.wrappers.feedback import FeedbackWrapper

__all__ = ["UnifiedWrapper"]


class UnifiedWrapper(FeedbackWrapper):
    """C + R: every attempt is judged, scored with outcome + λ·score, and refined while refinements are left.

    Attempts with refinements left restart the same task with the critique. GRPO learners group the initial and
    refined attempts of a task together (``info["attempt"]``, ``info["task_id"]``).

    Args:
        env: Any env with ``str`` observations and actions.
        judge: A judge callable.
        lam: Weight of the judge score (0.3 in the paper).
        max_refinements: Refinements per episode.
        on_error: ``"neutral"``, ``"skip"`` or ``"raise"``.
        refine: ``"always"`` (default; Reagent-U's training setting: the initial and the refined attempt are both
            scored samples of the task, a correct first attempt included) or ``"on_failure"`` (refine only attempts
            that did not succeed; a successful attempt ends the episode). The episode's final
            ``info["is_success"]`` is that of its last attempt, so under ``"always"`` a correct-then-wrong episode
            ends with ``is_success=False``; under ``"on_failure"`` it is true exactly when some attempt succeeded.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> from rrm_gym.judges import make
        >>> env = UnifiedWrapper(gym.make("rrm/WebWalker-v0"), make("reference"))
        >>> obs, info = env.reset(seed=0)
        >>> obs, r, term, trunc, info = env.step("\\\\boxed{no idea}")
        >>> info["attempt"], "score" in info["rrm"]
        (2, True)
    """

    def __init__(self, env: gym.Env, judge: Judge, lam: float = 0.3, max_refinements: int = 1,
                 on_error: str = "neutral", refine: str = "always"):
        super().__init__(env, judge, FeedbackSettings(shape=True, refine=True, lam=lam,
                                                      max_refinements=max_refinements, on_error=on_error,
                                                      refine_when=refine))
