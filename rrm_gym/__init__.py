"""rrm-gym: text-agent tasks as Gymnasium envs, with reasoning-reward-model feedback as composable wrappers.

Example:
    >>> import gymnasium as gym
    >>> import rrm_gym
    >>> from rrm_gym.judges import make
    >>> from rrm_gym.wrappers import UnifiedWrapper
    >>> env = UnifiedWrapper(gym.make("rrm/WebWalker-v0"), judge=make("reference"))
    >>> obs, info = env.reset(seed=0)
"""

from rrm_gym.envs import register_all as _register_all
from rrm_gym.envs.support import check_env_support
from rrm_gym.types import Judgement, JudgeRequest, Trajectory, Turn

__version__ = "0.1.0"
__all__ = ["Turn", "Trajectory", "JudgeRequest", "Judgement", "check_env_support", "__version__"]

_register_all()
