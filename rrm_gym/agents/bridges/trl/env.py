r"""TRL bridge: train with ``trl.GRPOTrainer(environment_factory=...)`` on any ``rrm/*`` env with C/R/U feedback.

TRL 1.16's ``environment_factory`` contract (``trl/trainer/grpo_trainer.py``): a zero-argument callable returning
an environment object whose class defines ``reset(**row)`` (called with the dataset row before each rollout; a
returned string is appended to the last user message of the prompt) and public methods that become the model's
tools (type hints and Google-style docstrings are turned into JSON schemas). The trainer creates one instance per
rollout and reuses them; reward functions get those instances as ``environments=``.

:func:`environment_factory` returns such a factory. Each instance wraps one env in the feedback wrapper you ask
for (``make_env``); its tools are the env's own tools (``click``, ``back``, ``search``, ...) plus ``answer``. Every
tool call is one env step, so under C and U the observation returned by the ``answer`` call that ends an attempt
holds the judge's critique and the model goes on with its refined attempt in the same rollout. :func:`shaped_reward`
is the reward function: it reads the wrapper's rewards (env reward + λ·score of every attempt) from the instance;
the trainer never calls the judge itself.

Under C and U this is not Reagent's grouping: TRL's tool loop (``GRPOTrainer._tool_call_loop``) appends every tool
result and the next reply to the same row's ``completion_ids``, so the refined attempt is the tail of the initial
attempt's row, and ``_calculate_rewards`` takes one reward per row, so :func:`shaped_reward` sums the attempts. For
the paper's way (initial and refined attempts as separate members of one GRPO group, each with its own reward) use
:mod:`rrm_gym.agents.bridges.trl.rollout` (``rollout_func``), which builds its rows on these same instances.

Use :func:`make_dataset` for the prompts: its rows carry a ``seed``, so the ``num_generations`` rollouts of one row
(GRPO's group) play the same task. :func:`prepare_tokenizer` gives chat templates without tool support (like the
bundled SmolLM2's) TRL's ChatML tool template.

Example:
    >>> from rrm_gym.agents.bridges.trl.env import environment_factory, shaped_reward
    >>> factory = environment_factory("rrm/WebWalker-v0", feedback="unified", judge="reference", difficulty="easy")
    >>> env = factory()
    >>> "Question:" in env.reset(seed=0)
    True
    >>> "Final answer received" in env.answer("42")  # doctest: +ELLIPSIS
    True
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from typing import Any

from rrm_gym.agents.bridges.trl.prepare import SYSTEM_PROMPT_TRL, make_dataset, make_grpo_config, prepare_tokenizer
from rrm_gym.agents.run.episode_log import EpisodeTracker
from rrm_gym.envs.actions import Tool

__all__ = [
    "environment_factory",
    "EnvironmentFactory",
    "RRMEnvironment",
    "shaped_reward",
    "tool_functions",
    "make_dataset",
    "make_grpo_config",
    "prepare_tokenizer",
    "SYSTEM_PROMPT_TRL",
]

_JSON_TYPES: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list,
                                "object": dict}
_RESERVED = frozenset({"reset", "get_reward", "answer"})
_OVER = "The episode is over; no further actions are taken. End your turn."


class _Shared:
    """State shared by all instances of one factory: counters, finished episodes, the judge."""

    def __init__(self, judge: Any) -> None:
        self.judge = judge
        self.lock = threading.Lock()
        self.env_steps = 0
        self.finished: list[dict[str, Any]] = []

    def pop_finished(self) -> list[dict[str, Any]]:
        with self.lock:
            out, self.finished = self.finished, []
        return out


class RRMEnvironment:
    """One ``rrm/*`` env behind a feedback wrapper, shaped for TRL's ``environment_factory``.

    Public methods are the model's tools (TRL exposes every public method but ``reset``), so everything else here
    is private. Build instances with :func:`environment_factory`.
    """

    _settings: dict[str, Any] = {}
    _shared: _Shared

    def __init__(self) -> None:
        from rrm_gym.wrappers.factory import make_env

        s = self._settings
        self._env = make_env(s["env_id"], feedback=s["feedback"], judge=self._shared.judge, lam=s["lam"],
                             max_refinements=s["max_refinements"], on_error=s["on_error"], **s["env_kwargs"])
        self._tracker = EpisodeTracker()
        self._done = True
        self._return = 0.0
        self._attempt = 1
        self._attempt_returns: list[float] = []  # the wrapper's rewards summed per attempt (env + λ·score under R/U)
        self._last_episode: dict[str, Any] | None = None

    def reset(self, **kwargs: Any) -> str:
        """Start an episode; a ``seed`` or ``task_id`` column of the dataset row pins the task."""
        options: dict[str, Any] = {"split": kwargs.get("split") or self._settings["split"]}
        if kwargs.get("task_id") is not None:
            options["task_id"] = kwargs["task_id"]
        seed = kwargs.get("seed")
        obs, info = self._env.reset(seed=None if seed is None else int(seed), options=options)
        self._tracker.start(obs, info)
        self._done, self._return, self._last_episode = False, 0.0, None
        self._attempt, self._attempt_returns = 1, [0.0]
        return obs

    def answer(self, answer: str) -> str:
        """Give the final answer to the question; the result says whether the episode is over or a retry starts.

        Args:
            answer: The final answer, as short as possible (a name, a number, a date).
        """
        return self._act(f"\\boxed{{{answer}}}")

    # ------------------------------------------------------------------ internals
    def _act(self, action: str) -> str:
        if self._done:
            return _OVER
        obs, reward, terminated, truncated, info = self._env.step(action)
        self._return += float(reward)
        self._attempt_returns[-1] += float(reward)
        episode = self._tracker.record(action, obs, float(reward), bool(terminated), bool(truncated), info)
        if "previous" in info and not (terminated or truncated):  # the attempt ended and a refinement started
            self._attempt = int(info.get("attempt", self._attempt + 1))
            self._attempt_returns.append(0.0)
        with self._shared.lock:
            self._shared.env_steps += 1
            if episode is not None:
                self._shared.finished.append(episode)
        if episode is not None:
            self._done, self._last_episode = True, episode
        return str(obs)

    def _call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        call = {"name": name, "arguments": {k: v for k, v in arguments.items() if v is not None}}
        return self._act(f"<tool_call>{json.dumps(call, ensure_ascii=False)}</tool_call>")

    def _reply(self, reply: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one parsed model reply to the env; return the messages that answer it.

        Each tool call is one env step (its result is a ``tool`` message; the env itself explains an unknown tool
        or bad arguments); a reply without tool calls is sent as text (its observation is a ``user`` message).
        Calls after the one that ends the attempt are not made.
        """
        start, messages = self._attempt, []
        calls = [c for c in reply.get("tool_calls") or [] if isinstance(c, dict)]
        if not calls:
            return [{"role": "user", "content": self._act(str(reply.get("content") or "").strip())}]
        for call in calls:
            fn = call.get("function") or {}
            name, args = str(fn.get("name", "")), fn.get("arguments")
            args = args if isinstance(args, dict) else {}
            if name == "answer" and "answer" in args:
                obs = self.answer(str(args["answer"]))
            else:
                obs = self._call_tool(name, args)
            messages.append({"role": "tool", "name": name, "content": obs})
            if self._done or self._attempt != start:
                break
        return messages

    def _finish_with_text(self, text: str) -> None:
        """The rollout ended with plain text: send it as the final action if the episode is still running."""
        if not self._done and text.strip():
            self._act(text.strip())


def _tool_method(tool: Tool) -> Callable[..., str] | None:
    """A method ``tool.name(self, **arguments) -> str`` whose signature and docstring describe the tool to TRL."""
    if not tool.name.isidentifier() or tool.name in _RESERVED or tool.name.startswith("_"):
        return None
    props = dict((tool.parameters or {}).get("properties") or {})
    required = set((tool.parameters or {}).get("required") or [])
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    annotations: dict[str, Any] = {}
    doc_args = []
    for name, schema in props.items():
        if not name.isidentifier():
            return None
        typ = _JSON_TYPES.get(str((schema or {}).get("type", "string")), str)
        if name in required:
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=typ))
            annotations[name] = typ
        else:
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=typ | None))
            annotations[name] = typ | None
        desc = " ".join(str((schema or {}).get("description") or f"The {name} argument.").split())
        doc_args.append(f"    {name}: {desc}")
    annotations["return"] = str

    def method(self: RRMEnvironment, **arguments: Any) -> str:
        return self._call_tool(tool.name, arguments)

    method.__name__ = method.__qualname__ = tool.name
    method.__signature__ = inspect.Signature(params, return_annotation=str)  # type: ignore[attr-defined]
    method.__annotations__ = annotations
    doc = " ".join(tool.description.split()) or f"The {tool.name} tool."
    method.__doc__ = doc + ("\n\nArgs:\n" + "\n".join(doc_args) if doc_args else "")
    return method


def tool_functions(env_class: type) -> list[Callable[..., str]]:
    """The tool methods of an environment class, as TRL exposes them (public functions but ``reset``)."""
    return [fn for name, fn in inspect.getmembers(env_class, predicate=inspect.isfunction)
            if name not in ("reset", "get_reward") and not name.startswith("_")]


def _probe_tools(env_id: str, env_kwargs: dict[str, Any], split: str) -> list[Tool]:
    from rrm_gym.envs.from_id import make_task_env

    env = make_task_env(env_id, **{**env_kwargs, "split": split})
    try:
        env.reset(seed=0)
        hook = getattr(env.unwrapped, "_tools", None)  # TextEnv's tool hook
        return list(hook()) if callable(hook) else []
    finally:
        env.close()


class EnvironmentFactory:
    """A zero-argument callable that builds :class:`RRMEnvironment` instances (what TRL calls per rollout).

    Attributes:
        env_class: The generated environment class (one tool method per env tool, plus ``answer``).
        env_steps: Env steps taken by all instances so far.
    """

    def __init__(self, env_class: type[RRMEnvironment], shared: _Shared) -> None:
        self.env_class = env_class
        self._shared = shared

    def __call__(self) -> RRMEnvironment:
        """A fresh environment instance."""
        return self.env_class()

    @property
    def env_steps(self) -> int:
        """Env steps taken by all instances so far."""
        return self._shared.env_steps

    def pop_finished(self) -> list[dict[str, Any]]:
        """Episodes finished since the last call (:class:`~rrm_gym.agents.run.episode_log.EpisodeTracker` format)."""
        return self._shared.pop_finished()


def environment_factory(
    env_id: str,
    feedback: str = "unified",
    judge: str | Callable[..., Any] = "reference",
    lam: float = 0.3,
    max_refinements: int = 1,
    *,
    on_error: str = "neutral",
    judge_kwargs: dict[str, Any] | None = None,
    split: str = "train",
    **env_kwargs: Any,
) -> EnvironmentFactory:
    """Build the ``environment_factory`` for ``trl.GRPOTrainer`` on ``env_id`` with C/R/U feedback.

    Args:
        env_id: Any registered ``rrm/*`` env id.
        feedback: ``"none"``, ``"critique"``, ``"reward"`` or ``"unified"``.
        judge: A name for :func:`rrm_gym.judges.make` or a judge callable; built once, shared by all instances.
        lam: λ of the shaped reward.
        max_refinements: Refinement attempts per episode under C and U.
        on_error: Judge failure policy.
        judge_kwargs: Options for a judge given by name.
        split: Task split the episodes are drawn from (a ``split`` column of the dataset overrides it).
        **env_kwargs: ``gym.make`` kwargs (e.g. ``max_episode_steps=4``); ``difficulty`` and ``task_id`` among
            them are reset options (:func:`rrm_gym.envs.from_id.make_task_env`).

    Returns:
        An :class:`EnvironmentFactory` to pass as ``GRPOTrainer(environment_factory=...)`` together with
        ``reward_funcs=shaped_reward``.
    """
    from rrm_gym.wrappers.factory import FEEDBACK_MODES, resolve_judge

    if feedback not in FEEDBACK_MODES:
        raise ValueError(f"feedback must be one of {FEEDBACK_MODES}, got {feedback!r}")
    shared = _Shared(None if feedback == "none" else resolve_judge(judge, judge_kwargs))
    methods: dict[str, Any] = {}
    for tool in _probe_tools(env_id, env_kwargs, split):
        method = _tool_method(tool)
        if method is not None:
            methods[tool.name] = method
    settings = {"env_id": env_id, "feedback": feedback, "lam": lam, "max_refinements": max_refinements,
                "on_error": on_error, "env_kwargs": dict(env_kwargs), "split": split}
    name = "".join(ch for ch in env_id.split("/")[-1].split("-")[0] if ch.isalnum()) + "Environment"
    env_class = type(name, (RRMEnvironment,), {**methods, "_settings": settings, "_shared": shared,
                                               "__doc__": f"{env_id} with {feedback} feedback, for TRL."})
    return EnvironmentFactory(env_class, shared)


def _last_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    for message in reversed(list(completion or [])):
        if isinstance(message, dict) and message.get("role") == "assistant":
            content = message.get("content")
            return content if isinstance(content, str) else ""
    return ""


def shaped_reward(
    completions: list[Any], environments: list[RRMEnvironment] | None = None, **kwargs: Any
) -> list[float]:
    """TRL reward function: each rollout's shaped return, as the feedback wrapper computed it.

    A rollout that ended with plain text instead of an ``answer`` call sends that text to the env as its final
    action first (``\\boxed{...}`` in it counts as the answer). The reward is the episode's total wrapper reward:
    the env reward plus λ·score of every judged attempt. Env reward, judge score and success are also logged as
    separate TRL metrics (``rrm/reward_env``, ``rrm/judge_score``, ``rrm/success``) when TRL passes ``log_metric``.
    """
    if environments is None:
        raise ValueError("shaped_reward needs the rollouts' environments: use it with "
                         "GRPOTrainer(environment_factory=rrm_gym.agents.bridges.trl.env.environment_factory(...))")
    rewards, env_r, scores, wins = [], [], [], []
    for completion, env in zip(completions, environments, strict=True):
        env._finish_with_text(_last_text(completion))
        rewards.append(float(env._return))
        ep = env._last_episode
        if ep is not None:
            env_r.append(float(ep["return_env"]))
            wins.append(float(ep["success"]))
            scores += [float(a["score"]) for a in ep["attempts"] if a.get("judge_ok") and a.get("score") is not None]
        else:
            env_r.append(float(env._tracker.episode["attempts"][-1]["reward_env"]) if env._tracker.episode else 0.0)
            wins.append(0.0)
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        log_metric("rrm/reward_env", sum(env_r) / len(env_r) if env_r else 0.0)
        log_metric("rrm/success", sum(wins) / len(wins) if wins else 0.0)
        if scores:
            log_metric("rrm/judge_score", sum(scores) / len(scores))
    return rewards
