"""U for vector envs: refinement and shaped reward on every attempt, judged in one batch per step."""

from __future__ import annotations

from gymnasium.vector import VectorEnv

from rrm_gym.judges.base import Judge
from rrm_gym.wrappers._attempt import FeedbackSettings
from rrm_gym.wrappers.vector.feedback import VectorFeedbackWrapper

__all__ = ["UnifiedWrapper"]


class UnifiedWrapper(VectorFeedbackWrapper):
    """Vector version of :class:`rrm_gym.wrappers.UnifiedWrapper` (same arguments, ``refine`` included).

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> from rrm_gym.judges import make
        >>> envs = UnifiedWrapper(gym.make_vec("rrm/WebWalker-v0", num_envs=2), make("reference"))
        >>> obs, infos = envs.reset(seed=0)
        >>> obs, r, term, trunc, infos = envs.step(["\\\\boxed{x}", "\\\\boxed{y}"])
        >>> bool(infos["_rrm"].all())
        True
    """

    def __init__(self, env: VectorEnv, judge: Judge, lam: float = 0.3, max_refinements: int = 1,
                 on_error: str = "neutral", refine: str = "always"):
        super().__init__(env, judge, FeedbackSettings(shape=True, refine=True, lam=lam,
                                                      max_refinements=max_refinements, on_error=on_error,
                                                      refine_when=refine))
