"""The vector wrapper's fast info handling equals unbatching every sub-env and batching again, case by case."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from gymnasium.vector import SyncVectorEnv

from rrm_gym.types import Trajectory
from rrm_gym.wrappers.vector._infos import _exact, batch_infos, info_value, rebatch, unbatch_infos, unbatch_one
from tests.wrappers.toy_envs import AddEnv

N = 6


def _value(rng: random.Random, kind: str):
    return {
        "bool": lambda: rng.random() < 0.5,
        "int": lambda: rng.randrange(-5, 50),
        "float": lambda: rng.random(),
        "str": lambda: rng.choice(["a", "bb", ""]),
        "none-or-str": lambda: rng.choice([None, "x"]),
        "list": lambda: [rng.randrange(3)],
        "np.bool_": lambda: np.bool_(rng.random() < 0.5),
        "np.float32": lambda: np.float32(rng.random()),
        "np.int32": lambda: np.int32(rng.randrange(9)),
        "np.str_": lambda: np.str_("s"),
        "array": lambda: np.arange(2),
        "nested": lambda: {"a": rng.randrange(3), "b": rng.choice(["u", "v"])},
    }[kind]()


KINDS = ["bool", "int", "float", "str", "none-or-str", "list", "np.bool_", "np.float32", "np.int32", "np.str_",
         "array", "nested"]


def _env_infos(rng: random.Random, keys: dict[str, str]) -> dict:
    """Vector infos as gymnasium builds them, from random per-env dicts (some keys only on some sub-envs)."""
    adder = SyncVectorEnv([AddEnv])  # only for its ``_add_info`` (``num_envs`` set below)
    adder.num_envs = N
    infos: dict = {}
    for i in range(N):
        info = {k: _value(rng, kind) for k, kind in keys.items() if rng.random() < 0.8}
        infos = adder._add_info(infos, info, i)
    adder.close()
    return infos


def _same(a, b, path="") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (path, list(a), list(b))
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, np.ndarray):
        assert type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape, (path, a, b)
        if a.dtype == object:
            for x, y in zip(a, b, strict=True):
                _same(x, y, path)
        else:
            assert np.array_equal(a, b), (path, a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b)
    else:
        assert type(a) is type(b) and (a is b or a == b or repr(a) == repr(b)), (path, a, b)


@pytest.mark.parametrize("seed", range(150))
def test_rebatch_equals_unbatching_and_batching_again(seed):
    rng = random.Random(seed)
    keys = {f"k{j}": rng.choice(KINDS) for j in range(rng.randrange(1, 7))}
    keys["new"] = rng.choice(KINDS)  # only ever in the reset infos of refined sub-envs
    infos = _env_infos(rng, {k: v for k, v in keys.items() if k != "new"})
    replaced = {}
    for j in rng.sample(range(N), rng.randrange(0, 3)):  # (a key keeps one kind: gymnasium cannot batch others)
        replaced[j] = {**{k: _value(rng, keys[k]) for k in rng.sample(sorted(keys), min(2, len(keys)))},
                       "reward_env": 0.5, "previous": {"num_turns": 2, "final_answer": rng.choice([None, "x"])},
                       "attempt": 2}
    judged = {i: {"score": rng.choice([0.5, None]), "critique": "c", "ok": True} for i in range(N)
              if i not in replaced and rng.random() < 0.4}
    trajectories = {i: Trajectory("t", "q") for i in judged}
    extras = [("reward_env", np.asarray([rng.random() for _ in range(N)])), ("reward_rrm", np.zeros(N)),
              ("rrm", judged), ("trajectory", trajectories), ("attempt", np.arange(1, N + 1, dtype=np.int64))]
    _same(rebatch(infos, N, extras, replaced), _exact(infos, N, extras, replaced))


@pytest.mark.parametrize("seed", range(30))
def test_one_sub_env_views_equal_unbatch_infos(seed):
    rng = random.Random(seed)
    infos = _env_infos(rng, {f"k{j}": rng.choice(KINDS) for j in range(rng.randrange(1, 7))})
    per = unbatch_infos(infos, N)
    for i in range(N):
        _same(unbatch_one(infos, i), per[i])
        for key in [*infos, "missing"]:
            expected = per[i].get(key, "absent")
            _same(info_value(infos, i, key, "absent"), expected)
    _same(batch_infos(per), batch_infos(unbatch_infos(batch_infos(per), N)))


def test_rebatch_returns_new_arrays():
    infos = {"a": np.array([1, 2]), "_a": np.array([True, True]), "s": np.array(["x", None], dtype=object),
             "_s": np.array([True, False])}
    out = rebatch(infos, 2, [("attempt", np.ones(2, dtype=np.int64))], {})
    assert out["a"] is not infos["a"] and out["_s"] is not infos["_s"]
    out["a"][0] = 99
    assert infos["a"][0] == 1  # what the wrapper recorded stays as the env returned it
