"""Judge-free text envs (outcome reward only), registered as ``rrm/<Name>-v0`` on ``import rrm_gym``."""

from rrm_gym.envs.actions import Answer, Tool, ToolCall, parse_action
from rrm_gym.envs.base import Task, TextEnv, ToolError
from rrm_gym.envs.from_id import make_task_env, make_task_vec
from rrm_gym.envs.registration import ENV_INFO, list_envs, register_env
from rrm_gym.envs.spaces import ProseText
from rrm_gym.envs.support import EnvSupport, check_env_support
from rrm_gym.envs.task_options import TaskOptionsWrapper, task_options

__all__ = [
    "TextEnv",
    "Task",
    "Tool",
    "ToolCall",
    "ToolError",
    "Answer",
    "parse_action",
    "ProseText",
    "register_env",
    "list_envs",
    "ENV_INFO",
    "register_all",
    "make_task_env",
    "make_task_vec",
    "TaskOptionsWrapper",
    "task_options",
    "check_env_support",
    "EnvSupport",
]


def register_all() -> None:
    """Register every bundled env (called on ``import rrm_gym``; cheap: entry points import lazily)."""
    from rrm_gym.envs import _catalog

    _catalog.register()
