"""C for vector envs: finished attempts judged in one batch; sub-envs with refinements left restart their task."""

from __future__ import annotations

from gymnasium.vector import VectorEnv

from rrm_gym.judges.base import Judge
from rrm_gym.wrappers._attempt import FeedbackSettings
from rrm_gym.wrappers.vector.feedback import VectorFeedbackWrapper

__all__ = ["CritiqueObservationWrapper"]


class CritiqueObservationWrapper(VectorFeedbackWrapper):
    """Vector version of :class:`rrm_gym.wrappers.CritiqueObservationWrapper` (same arguments, ``refine`` included).

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> from rrm_gym.judges import make
        >>> envs = CritiqueObservationWrapper(gym.make_vec("rrm/WebWalker-v0", num_envs=2), make("reference"))
        >>> obs, infos = envs.reset(seed=0)
        >>> obs, r, term, trunc, infos = envs.step(["\\\\boxed{x}", "\\\\boxed{y}"])
        >>> [int(a) for a in infos["attempt"]]
        [2, 2]
    """

    def __init__(self, env: VectorEnv, judge: Judge, max_refinements: int = 1, on_error: str = "neutral",
                 refine: str = "always"):
        super().__init__(env, judge, FeedbackSettings(shape=False, refine=True, max_refinements=max_refinements,
                                                      on_error=on_error, refine_when=refine))
