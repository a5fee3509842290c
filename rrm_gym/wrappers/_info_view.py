"""One sub-env's view of Gymnasium's batched vector ``infos`` (arrays + ``_key`` masks), read without copying.

Kept apart from :mod:`rrm_gym.wrappers.vector` so the attempt recorder can use it without importing the vector
wrappers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["MISSING", "unbatch_one", "info_value"]


def _item(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


MISSING: Any = object()


def _value_at(value: Any, i: int) -> Any:
    try:
        return _item(value[i])
    except (IndexError, TypeError, KeyError):
        return value


def unbatch_one(infos: dict[str, Any], i: int) -> dict[str, Any]:
    """``unbatch_infos(infos, n)[i]`` without building the other sub-envs' dicts.

    Example:
        >>> import numpy as np
        >>> unbatch_one({"a": np.array([1, 0]), "_a": np.array([True, False])}, 0)
        {'a': 1}
    """
    out: dict[str, Any] = {}
    for key, value in infos.items():
        if key.startswith("_") and key[1:] in infos:
            continue
        mask = infos.get(f"_{key}")
        if isinstance(value, dict):
            if mask is None or mask[i]:
                out[key] = unbatch_one(value, i)
        elif mask is None or bool(mask[i]):
            out[key] = _value_at(value, i)
    return out


def info_value(infos: dict[str, Any], i: int, key: str, default: Any = None) -> Any:
    """``unbatch_one(infos, i).get(key, default)``, reading only that key."""
    if key not in infos or (key.startswith("_") and key[1:] in infos):
        return default
    mask, value = infos.get(f"_{key}"), infos[key]
    if isinstance(value, dict):
        return unbatch_one(value, i) if mask is None or mask[i] else default
    return _value_at(value, i) if mask is None or bool(mask[i]) else default
