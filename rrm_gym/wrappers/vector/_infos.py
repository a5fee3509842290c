"""Convert between Gymnasium's batched vector ``infos`` (arrays + ``_key`` masks) and one dict per sub-env."""

from __future__ import annotations

from itertools import compress
from operator import not_
from typing import Any

import numpy as np

from rrm_gym.wrappers._info_view import MISSING, _item, info_value, unbatch_one

__all__ = ["unbatch_infos", "batch_infos", "unbatch_one", "info_value", "rebatch", "MISSING"]


def unbatch_infos(infos: dict[str, Any], num_envs: int) -> list[dict[str, Any]]:
    """Split vector ``infos`` into ``num_envs`` plain dicts (only the keys each sub-env really had).

    Example:
        >>> import numpy as np
        >>> unbatch_infos({"a": np.array([1, 0]), "_a": np.array([True, False])}, 2)
        [{'a': 1}, {}]
    """
    out: list[dict[str, Any]] = [{} for _ in range(num_envs)]
    for key, value in infos.items():
        if key.startswith("_") and key[1:] in infos:
            continue
        mask = infos.get(f"_{key}")
        if isinstance(value, dict):
            parts = unbatch_infos(value, num_envs)
            for i in range(num_envs):
                if mask is None or mask[i]:
                    out[i][key] = parts[i]
            continue
        for i in range(num_envs):
            if mask is None or bool(mask[i]):
                try:
                    out[i][key] = _item(value[i])
                except (IndexError, TypeError, KeyError):
                    out[i][key] = value
    return out


def batch_infos(per_env: list[dict[str, Any]]) -> dict[str, Any]:
    """Inverse of :func:`unbatch_infos`, in the same layout as ``gymnasium.vector.VectorEnv._add_info``."""
    num_envs = len(per_env)
    result: dict[str, Any] = {}
    for i, info in enumerate(per_env):
        _add(result, info, i, num_envs)
    return result


def _add(vector_infos: dict[str, Any], env_info: dict[str, Any], i: int, num_envs: int) -> None:
    for key, value in env_info.items():
        if isinstance(value, dict):
            sub = vector_infos.get(key)
            if not isinstance(sub, dict):
                sub = {}
            _add(sub, value, i, num_envs)
            array: Any = sub
        else:
            array = vector_infos.get(key)
            if array is None:
                if type(value) in (int, float, bool) or isinstance(value, np.number):
                    array = np.zeros(num_envs, dtype=type(value))
                else:
                    array = np.empty(num_envs, dtype=object)
            elif array.dtype != object and not (type(value) in (int, float, bool) or isinstance(value, np.number)):
                array = array.astype(object)
            elif array.dtype.kind in "biu" and isinstance(value, (float, np.floating)):
                array = array.astype(np.float64)
            try:
                array[i] = value
            except (TypeError, ValueError, OverflowError):
                array = array.astype(object)
                array[i] = value
        mask = vector_infos.get(f"_{key}")
        if mask is None:
            mask = np.zeros(num_envs, dtype=np.bool_)
        mask[i] = True
        vector_infos[key], vector_infos[f"_{key}"] = array, mask


# ---------------------------------------------------------------------------------------------------------- rebatch
_NUMERIC_DTYPES = {"b": np.bool_, "i": np.int64, "f": np.float64}
_PLAIN = {bool: np.bool_, int: np.int64, float: np.float64}


_SAFE_TYPES = {str, list, tuple, type(None)}  # object-array item types that pass through batch_infos unchanged


def _flags(mask: Any, n: int) -> list[bool]:
    """A ``_key`` mask as a list of ``bool`` (``None``: every sub-env)."""
    if mask is None:
        return [True] * n
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        return mask.tolist()
    return [bool(mask[i]) for i in range(n)]


def _safe(types: set[type]) -> bool:
    """Whether object-array items of these types come out of unbatching and batching again unchanged."""
    if types <= _SAFE_TYPES:
        return True
    if any(issubclass(t, (np.generic, dict)) for t in types):
        return False
    _SAFE_TYPES.update(types)
    return True


def _absent(flags: list[bool]) -> list[int]:
    return list(compress(range(len(flags)), map(not_, flags))) if False in flags else []


def _fast_array(value: Any, flags: list[bool], n: int) -> np.ndarray | None:
    """What ``batch_infos`` makes of the items of a batched array at ``flags``, or ``None`` (use the exact path)."""
    if type(value) is not np.ndarray or value.shape != (n,):
        return None
    kind = value.dtype.kind
    dtype = _NUMERIC_DTYPES.get(kind)
    if kind == "u" and value.dtype.itemsize < 8:
        dtype = np.int64
    if dtype is not None:  # items become Python bool/int/float, batched back as bool/int64/float64
        out = value.astype(dtype)
        fill: Any = 0
    elif kind == "O":
        items = value.tolist()
        if type(items[flags.index(True)]) in _PLAIN or not _safe(set(map(type, items))):
            return None  # a number first makes a numeric array; numpy scalars and dicts change type: exact path
        out, fill = value.copy(), None
    else:
        return None
    absent = _absent(flags)
    if absent:
        out[absent] = fill
    return out


def _fast_nested(infos: dict[str, Any], outer: list[bool], n: int) -> dict[str, Any] | None:
    """``batch_infos`` of the nested dicts ``unbatch_one(infos, i)`` of the sub-envs in ``outer``, or ``None``."""
    keys = [k for k in infos if not (k.startswith("_") and k[1:] in infos)]
    found = []
    for pos, key in enumerate(keys):
        flags = [f and o for f, o in zip(_flags(infos.get(f"_{key}"), n), outer, strict=True)]
        if True not in flags:
            continue
        value = infos[key]
        array = _fast_nested(value, flags, n) if isinstance(value, dict) else _fast_array(value, flags, n)
        if array is None or f"_{key}" in keys:
            return None
        found.append((flags.index(True), pos, key, array, np.array(flags, dtype=np.bool_)))
    out: dict[str, Any] = {}
    for _, _, key, array, mask in sorted(found, key=lambda f: (f[0], f[1])):
        out[key], out[f"_{key}"] = array, mask
    return out


def rebatch(infos: dict[str, Any], num_envs: int, extras: list[tuple[str, Any]],
            replaced: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Batch the step's vector ``infos`` plus the wrapper's keys, without unbatching every sub-env.

    The result equals ``batch_infos(per_env)`` (keys, order, dtypes, masks, values) where ``per_env[i]`` is
    ``replaced[i]`` for the sub-envs given there, and otherwise ``unbatch_one(infos, i)`` with each extra set on it
    in order: an ``ndarray`` extra (float64 or int64) sets item ``i`` on every sub-env, a ``dict`` extra only on the
    sub-envs it names. Arrays of bools, ints, floats and plain objects are copied whole; anything else (numpy
    scalars in object arrays, 2-D arrays, ...) goes through the exact per-env path of :func:`batch_infos`. Every
    array returned is new, so the batched ``infos`` stay as the env returned them.
    """
    n = num_envs
    layout = _layout(infos, extras)
    if layout is None:
        return _exact(infos, n, extras, replaced)  # a wrapper key that the env has too, or a key that is a mask
    env_keys, keys = layout
    rows = sorted(replaced.items())
    ranks = {j: {k: r for r, k in enumerate(d)} for j, d in rows}
    live = [i not in replaced for i in range(n)]
    found: list[tuple[int, int, str, Any, Any]] = []
    only_replaced = list(dict.fromkeys(k for _, d in rows for k in d if k not in keys))
    columns = [*((k, infos[k]) for k in env_keys), *extras, *((k, None) for k in only_replaced)]
    for rank, (key, value) in enumerate(columns):
        mine = [(j, d[key]) for j, d in rows if key in d] if rows else []
        quick = _quick(value, infos.get(f"_{key}") if rank < len(env_keys) else _ALL, n, replaced, mine)
        if quick is not None:
            first, array, mask = quick
            if mine and mine[0][0] < first:
                first, rank = mine[0][0], ranks[mine[0][0]][key]
            if first < n:
                found.append((first, rank, key, array, mask))
            continue
        if rank < len(env_keys):
            flags = _flags(infos.get(f"_{key}"), n)
            for j in replaced:
                flags[j] = False
        elif isinstance(value, np.ndarray):
            flags = list(live)
        else:
            flags = [False] * n
            for i in value or ():
                flags[i] = i not in replaced
        first = flags.index(True) if True in flags else n
        if mine and mine[0][0] < first:
            first, rank = mine[0][0], ranks[mine[0][0]][key]
        if first == n:
            continue
        for j, _ in mine:
            flags[j] = True
        array = _fast_key(key, value, rank < len(env_keys), flags, mine, n)
        if array is None:
            found.append((first, rank, key, *_exact_key(key, infos, n, extras, replaced, flags)))
            continue
        mask = infos.get(f"_{key}")
        if not replaced and rank < len(env_keys) and type(mask) is np.ndarray and mask.dtype == np.bool_:
            found.append((first, rank, key, array, mask.copy()))
        else:
            found.append((first, rank, key, array, np.array(flags, dtype=np.bool_)))
    if any(found[k][:2] > found[k + 1][:2] for k in range(len(found) - 1)):
        found.sort(key=lambda f: (f[0], f[1]))
    out: dict[str, Any] = {}
    for _, _, key, array, mask in found:
        out[key], out[f"_{key}"] = array, mask
    return out


_ALL = object()  # the mask of a dense wrapper key: every sub-env
_LAYOUTS: dict[tuple[str, ...], tuple[list[str], set[str]] | None] = {}  # infos + extra keys -> rebatch's layout


def _layout(infos: dict[str, Any], extras: list[tuple[str, Any]]) -> tuple[list[str], set[str]] | None:
    """``(env keys, all keys)`` of a step's infos and extras, or ``None`` when a key collides (cached by keys)."""
    signature = (*infos, "", *(k for k, _ in extras))  # "" separates: no info key is empty in our layouts
    try:
        return _LAYOUTS[signature]
    except KeyError:
        pass
    env_keys = [k for k in infos if not (k.startswith("_") and k[1:] in infos)]
    extra_keys = [k for k, _ in extras]
    keys = {*env_keys, *extra_keys}
    layout = None if len(keys) < len(env_keys) + len(extra_keys) or any(f"_{k}" in keys for k in keys) else (
        env_keys, keys)
    if "" not in infos:
        if len(_LAYOUTS) > 256:
            _LAYOUTS.clear()
        _LAYOUTS[signature] = layout
    return layout


_DENSE = (np.dtype(np.float64), np.dtype(np.int64))
_ONES: dict[int, np.ndarray] = {}  # an all-true mask per size, copied for each dense wrapper key


def _quick_plain(value: np.ndarray, mask: Any, n: int) -> tuple[int, Any, Any] | None:
    """:func:`_quick` when no sub-env is replaced, for the usual arrays; ``None``: use :func:`_quick` itself."""
    dtype = value.dtype
    if mask is _ALL:  # a dense wrapper key: float64 or int64 everywhere
        if n == 0 or (dtype is not _DENSE[0] and dtype is not _DENSE[1]):
            return None
        ones = _ONES.get(n)
        if ones is None:
            ones = _ONES[n] = np.ones(n, dtype=np.bool_)
        return 0, value.copy(), ones.copy()
    if type(mask) is not np.ndarray or mask.dtype.kind != "b" or mask.shape != (n,):
        return None
    flags = mask.tolist()
    if True not in flags:
        return n, None, None
    first = flags.index(True)
    kind = dtype.kind
    if kind == "O":
        items = value.tolist()
        if type(items[first]) in _PLAIN:
            return None
        types = set(map(type, items))
        if not types <= _SAFE_TYPES and not _safe(types):
            return None
        array, fill = value.copy(), None
    elif kind in "bif":
        array, fill = value.astype(_NUMERIC_DTYPES[kind]), 0
    else:
        return None
    if False in flags:
        if n <= 16:
            for i, f in enumerate(flags):
                if not f:
                    array[i] = fill
        else:
            array[~mask] = fill
    return first, array, mask.copy()


def _quick(value: Any, mask: Any, n: int, replaced: dict[int, Any],
           mine: list[tuple[int, Any]]) -> tuple[int, Any, Any] | None:
    """The common case in one go: a 1-D array (with a bool mask, or ``_ALL``) whose items batch back unchanged.

    Returns ``(first live sub-env or n, array, mask)``, ``(n, None, None)`` for a key no sub-env has, or ``None``
    for the general path. ``mine`` are the values of the replaced sub-envs that have the key.
    """
    if type(value) is not np.ndarray or value.shape != (n,):
        return None
    if not replaced:  # the usual step: no sub-env restarted, so nothing to merge in
        fast = _quick_plain(value, mask, n)
        if fast is not None:
            return fast
    if mask is _ALL:
        if value.dtype not in (np.float64, np.int64):
            return None
        flags = [True] * n
    elif type(mask) is not np.ndarray or mask.dtype.kind != "b" or mask.shape != (n,):
        return None
    else:
        flags = mask.tolist()
    dense = False not in flags  # every sub-env had the key before the replaced ones are taken out
    for j in replaced:
        flags[j] = False
    if True not in flags:
        return None if mine else (n, None, None)
    first = flags.index(True)
    kind = value.dtype.kind
    if kind == "O":
        items = value.tolist()
        if type(items[first]) in _PLAIN:
            return None
        types = set(map(type, items))
        if not types <= _SAFE_TYPES and not _safe(types):
            return None
        array, fill = value.copy(), None
    elif kind in "bif" or (kind == "u" and value.dtype.itemsize < 8):
        array, fill = value.astype(_NUMERIC_DTYPES.get(kind, np.int64)), 0
    else:
        return None
    covered = {j for j, _ in mine} if mine else ()  # the replaced sub-envs that have the key: set below
    if dense:  # only the replaced sub-envs without the key are absent
        for j in replaced:
            if j not in covered:
                array[j] = fill
    elif n <= 16:  # item by item is cheaper than a mask for a few sub-envs
        for i, f in enumerate(flags):
            if not f and i not in covered:
                array[i] = fill
    else:
        array[~np.array(flags, dtype=np.bool_)] = fill
    if mask is _ALL:
        ones = _ONES.get(n)
        if ones is None:
            ones = _ONES[n] = np.ones(n, dtype=np.bool_)
        out_mask = ones.copy()
    else:
        out_mask = mask.copy()
    for j in replaced:
        out_mask[j] = j in covered
    for j, v in mine:
        if kind == "O" and not (type(v) in _PLAIN or isinstance(v, (np.generic, dict))):
            array[j] = v
        elif kind != "O" and _PLAIN.get(type(v)) is array.dtype.type:
            try:
                array[j] = v
            except OverflowError:
                return None
        else:
            return None
    return first, array, out_mask


def _fast_key(key: str, value: Any, from_env: bool, flags: list[bool], mine: list[tuple[int, Any]],
              n: int) -> Any:
    """The batched values of one key by whole-array operations, or ``None`` for the exact path."""
    if not from_env:
        if not isinstance(value, np.ndarray):
            return None  # a sparse wrapper key (a few sub-envs): exact path
        array: Any = value.copy()
        if False in flags:
            array[[i for i, f in enumerate(flags) if not f]] = 0
    elif isinstance(value, dict):
        return None if mine else _fast_nested(value, flags, n)
    else:
        live = list(flags) if mine else flags
        for j, _ in mine:
            live[j] = False
        if True not in live:
            return None
        array = _fast_array(value, live, n)
        if array is None:
            return None
    for j, v in mine:
        kind = array.dtype.kind
        if kind == "O" and not (type(v) in _PLAIN or isinstance(v, (np.generic, dict))):
            array[j] = v
        elif kind != "O" and _PLAIN.get(type(v)) is array.dtype.type:
            try:
                array[j] = v
            except OverflowError:
                return None
        else:
            return None
    return array


def _exact_key(key: str, infos: dict[str, Any], n: int, extras: list[tuple[str, Any]],
               replaced: dict[int, dict[str, Any]], present: list[bool]) -> tuple[Any, np.ndarray]:
    """``batch_infos`` of one key over the sub-envs that have it, in order."""
    extra = dict(extras).get(key, MISSING)
    where = list(compress(range(n), present))
    values = []
    for i in where:
        if i in replaced:
            values.append(replaced[i][key])
        elif isinstance(extra, np.ndarray):
            values.append(extra[i].item())
        elif extra is not MISSING:
            values.append(extra[i])
        else:
            values.append(info_value(infos, i, key))
    return _batch_values(key, where, values, n)


def _batch_values(key: str, where: list[int], values: list[Any], n: int,
                  mask: np.ndarray | None = None) -> tuple[Any, np.ndarray]:
    """``batch_infos`` of one key that sub-envs ``where`` have, with these ``values`` (in order)."""
    if mask is None:
        mask = np.zeros(n, dtype=np.bool_)
        mask[where] = True
    else:
        mask = mask.copy()
    types = set(map(type, values))
    first = type(values[0])
    if len(types) == 1 and first in _PLAIN:  # one Python number type: one numeric array
        array = np.zeros(n, dtype=first)
        try:
            if len(where) <= 8:  # item by item is cheaper than fancy indexing for a few
                for i, v in zip(where, values, strict=True):
                    array[i] = v
            else:
                array[where] = values
            return array, mask
        except OverflowError:
            pass
    elif len(types) == 1 and first is dict and all(list(v) == list(values[0]) for v in values):
        nested: dict[str, Any] = {}  # the same keys everywhere: batch each field
        for field in values[0]:
            if f"_{field}" in values[0]:
                break
            nested[field], nested[f"_{field}"] = _batch_values(field, where, [v[field] for v in values], n, mask)
        else:
            return nested, mask
    elif first not in _PLAIN and (types <= _SAFE_TYPES  # (no numpy scalar or dict type is ever in _SAFE_TYPES)
                                  or not any(issubclass(t, (np.generic, np.number, dict)) for t in types)):
        array = np.empty(n, dtype=object)  # None-filled; objects first: later values go in as they are
        for i, v in zip(where, values, strict=True):
            array[i] = v
        return array, mask
    tmp: dict[str, Any] = {}
    for i, v in zip(where, values, strict=True):
        _add(tmp, {key: v}, i, n)
    return tmp[key], tmp[f"_{key}"]


def _exact(infos: dict[str, Any], n: int, extras: list[tuple[str, Any]],
           replaced: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """The reference :func:`rebatch`: unbatch every sub-env, set the extras, batch again."""
    per = []
    for i in range(n):
        if i in replaced:
            per.append(replaced[i])
            continue
        info = unbatch_one(infos, i)
        for key, value in extras:
            if isinstance(value, np.ndarray):
                info[key] = value[i].item()
            elif i in value:
                info[key] = value[i]
        per.append(info)
    return batch_infos(per)
