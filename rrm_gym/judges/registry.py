"""Build judges by name: ``rrm_gym.judges.make("reference")``, ``make("hf", model=...)``, ``make("openai", ...)``.

Backends are imported only when built, so naming a judge never loads torch or vLLM before it is needed.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["make", "register_judge", "judge_names", "check_options"]

_MAKE_OPTIONS = ("cache", "max_calls", "max_prompt_tokens")

JudgeFactory = Callable[..., Any]

_BUILTIN: dict[str, str] = {
    "reference": "rrm_gym.judges.reference:ReferenceJudge",
    "hf": "rrm_gym.judges.hf:HFJudge",
    "openai": "rrm_gym.judges.openai_compat:OpenAIJudge",
    "vllm": "rrm_gym.judges.vllm_backend:VLLMJudge",
    "constant": "rrm_gym.judges.constant:ConstantJudge",
}
_USER: dict[str, JudgeFactory] = {}


def judge_names() -> list[str]:
    """All judge names :func:`make` knows, built-in first."""
    return [*_BUILTIN, *(n for n in _USER if n not in _BUILTIN)]


def register_judge(name: str, factory: JudgeFactory, *, overwrite: bool = False) -> None:
    """Make ``factory(**kwargs)`` available as ``make(name, **kwargs)``.

    Args:
        name: The judge's name.
        factory: A callable returning a judge (``judge(requests) -> list[Judgement]``).
        overwrite: Replace an existing registration (built-in names included).

    Example:
        >>> from rrm_gym.judges.constant import ConstantJudge
        >>> register_judge("half", lambda: ConstantJudge(0.5), overwrite=True)
        >>> make("half").score
        0.5
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a judge name must be a non-empty string")
    if not callable(factory):
        raise TypeError(f"factory for {name!r} must be callable, got {type(factory).__name__}")
    if not overwrite and (name in _USER or name in _BUILTIN):
        raise ValueError(f"judge {name!r} is already registered; pass overwrite=True to replace it")
    _USER[name] = factory


def _factory(name: str) -> JudgeFactory:
    if name in _USER:
        return _USER[name]
    if name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), attr)
    close = difflib.get_close_matches(str(name), judge_names(), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown judge {name!r}; {hint}known judges: {', '.join(judge_names())}")


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """Check a judge name and its options without building the judge (nothing heavy is loaded).

    Raises ``ValueError`` for an unknown name (with a close match), an option the backend does not take, or a
    required option that is missing.

    Example:
        >>> check_options("openai", {"base_url": "http://127.0.0.1:8000/v1"})
        Traceback (most recent call last):
        ...
        ValueError: judge 'openai' needs the option(s) model
    """
    factory = _factory(name)
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable: nothing to check against
        return
    named = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(options) - set(named) - set(_MAKE_OPTIONS))
        if unknown:
            raise ValueError(f"judge {name!r} takes no option(s) {', '.join(unknown)}; its options: "
                             f"{', '.join([*named, *_MAKE_OPTIONS])}")
    missing = [n for n in named if params[n].default is inspect.Parameter.empty and n not in options]
    if missing:
        raise ValueError(f"judge {name!r} needs the option(s) {', '.join(missing)}")


def make(
    name: str,
    *,
    cache: str | os.PathLike[str] | None = None,
    max_calls: int | None = None,
    max_prompt_tokens: int | None = None,
    **kwargs: Any,
) -> Any:
    """Build a judge by name.

    Args:
        name: ``"reference"``, ``"hf"``, ``"openai"``, ``"vllm"``, ``"constant"`` or a registered name.
        cache: SQLite file for a :class:`~rrm_gym.judges.cache.CachedJudge` around the judge.
        max_calls: Request budget (a :class:`~rrm_gym.judges.budget.BudgetJudge` inside the cache, so cache hits
            are free).
        max_prompt_tokens: Prompt-token budget (same wrapper).
        **kwargs: Passed to the backend (e.g. ``model=``, ``base_url=``, ``batch_size=``). For ``"reference"``,
            ``oracle_hints=True`` appends hints from the privileged reference to the critique: that option LEAKS
            privileged data to the agent (curricula only; never the default; see
            :class:`~rrm_gym.judges.reference.ReferenceJudge`).

    Returns:
        A judge: ``judge(requests) -> list[Judgement]``.

    Raises:
        ValueError: Unknown name (the message lists the known ones).

    Example:
        >>> judge = make("reference")
        >>> judge.name
        'reference'
    """
    judge = _factory(name)(**kwargs)
    if max_calls is not None or max_prompt_tokens is not None:
        from rrm_gym.judges.budget import BudgetJudge

        judge = BudgetJudge(judge, max_calls=max_calls, max_prompt_tokens=max_prompt_tokens)
    if cache is not None:
        from rrm_gym.judges.cache import CachedJudge

        judge = CachedJudge(judge, cache)
    return judge
