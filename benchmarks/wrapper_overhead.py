"""Overhead of the U wrappers (instant judge) over the raw env, single and vector, measured in one run.

What is timed, for each case, is the same scripted episodes on both sides (seeded random valid actions, a final
answer with probability 0.15 per step) over the same pool of 64 tasks, with the same env work:

* ``single``: ``gym.make(ENV)`` vs ``rrm_gym.wrappers.UnifiedWrapper(gym.make(ENV), judges.make("constant"))``.
  Where the wrapper restarts a task for its refinement (``reset`` by ``task_id``), the raw loop makes the same
  ``reset`` itself, so both sides run the same number of env steps and resets.
* ``vector N``: ``gym.make_vec(ENV, N, "sync")`` vs ``rrm_gym.wrappers.vector.UnifiedWrapper`` around an identical
  vector env. Where the wrapper restarts one sub-env (a ``reset`` with a ``reset_mask`` and the ``task_id``), the
  raw loop makes the same call; auto-resets (``NEXT_STEP``) happen on both sides and draw tasks from the pool in the
  same order. Rates count sub-env steps.

Three sides are timed: the env alone; the env with the loop itself calling the same instant judge
(``rrm_gym.judges.make("constant")``, no model) on the same number of requests at the end of each attempt; and the U
wrapper with that judge. The ratio compares the last two, so the judge is in both and what remains is the wrapper's
own bookkeeping: recording the attempt, the judge request, shaping, the refinement observation, the info dicts (the
ratio against the env alone is printed too). Nothing reads the recorded turns (an instant judge does not), so they
stay raw tuples: a real judge pays for building them when it reads them.

Timing alternates the sides in rounds (order reversed every round) and keeps each side's best round, to be fair on a
busy machine.
Ratio = (env + judge calls) steps/s / wrapped steps/s (1.00 = no overhead); goal <= 1.05.

Run: python benchmarks/wrapper_overhead.py [--cases single,vector8,vector64] [--steps 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import gymnasium as gym
import numpy as np

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.judges import make
from rrm_gym.types import JudgeRequest, Trajectory
from rrm_gym.wrappers import UnifiedWrapper
from rrm_gym.wrappers import vector as vw

GOAL = 1.05


class PooledTasks(gym.Wrapper):
    """Resets without a ``task_id`` take the next task of a shared pool (so auto-resets are cheap and identical)."""

    def __init__(self, env: gym.Env, cycle: dict[str, Any]):
        super().__init__(env)
        self.cycle = cycle

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        options = dict(options or {})
        if options.get("task_id") is None:
            tasks = self.cycle["tasks"]
            options["task_id"] = tasks[self.cycle["next"] % len(tasks)]
            self.cycle["next"] += 1
        return self.env.reset(seed=seed, options=options)


def task_pool(env_id: str, size: int) -> list[str]:
    env = gym.make(env_id)
    return [env.reset(seed=s)[1]["task_id"] for s in range(size)]


def choose(rng: np.random.Generator, buttons: Any) -> str:
    buttons = list(buttons or [])
    if not buttons or rng.random() < 0.15:
        return "\\boxed{unknown}"
    return buttons[int(rng.integers(len(buttons)))]


REQUEST = JudgeRequest("q", Trajectory("t", "q"))


def run_single(env: gym.Env, steps: int, seed: int, tasks: list[str], judge: Any = None) -> float:
    """Sub-env steps/s. With ``judge`` (the raw side), the loop itself calls the judge at the end of each attempt
    and redoes each task once, as the U wrapper does."""
    rng = np.random.default_rng(seed)
    next_task, attempt = 0, 1
    obs, info = env.reset(options={"task_id": tasks[0]})
    start = time.perf_counter()
    for _ in range(steps):
        obs, reward, term, trunc, info = env.step(choose(rng, info.get("valid_actions")))
        if term or trunc:
            if judge is not None:
                judge([REQUEST])
            if judge is not None and attempt == 1:
                obs, info = env.reset(options={"task_id": info["task_id"]})
                attempt = 2
                continue
            next_task, attempt = next_task + 1, 1
            obs, info = env.reset(options={"task_id": tasks[next_task % len(tasks)]})
    return steps / (time.perf_counter() - start)


def make_vec(env_id: str, n: int, cycle: dict[str, Any]) -> gym.vector.VectorEnv:
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="sync", wrappers=[lambda e: PooledTasks(e, cycle)])


def run_vector(env: gym.vector.VectorEnv, cycle: dict[str, Any], steps: int, seed: int, judge: Any = None) -> float:
    """Sub-env steps/s of ``steps`` vector steps. With ``judge`` (the raw side), the loop itself calls the judge once
    a step for the attempts that ended on it and makes the wrapper's refinement resets."""
    n = env.num_envs
    rng = np.random.default_rng(seed)
    cycle["next"] = 0
    obs, infos = env.reset(seed=seed)
    buttons = list(infos["valid_actions"])
    attempt, pending = [1] * n, [False] * n
    start = time.perf_counter()
    for _ in range(steps):
        obs, rewards, terms, truncs, infos = env.step([choose(rng, b) for b in buttons])
        buttons = list(infos["valid_actions"])
        if judge is None:
            continue
        ended = [i for i in range(n) if not pending[i] and (terms[i] or truncs[i])]
        if ended:
            judge([REQUEST] * len(ended))
        for i in range(n):
            if pending[i]:  # NEXT_STEP auto-reset step: attempt 1 of a new task
                pending[i], attempt[i] = False, 1
            elif terms[i] or truncs[i]:
                if attempt[i] == 1:
                    mask = np.zeros(n, dtype=np.bool_)
                    mask[i] = True
                    _, reset_infos = env.reset(options={"task_id": infos["task_id"][i], "reset_mask": mask})
                    buttons[i], attempt[i] = reset_infos["valid_actions"][i], 2
                else:
                    pending[i] = True
    return n * steps / (time.perf_counter() - start)


def measure(case: str, env_id: str, steps: int, rounds: int, tasks: list[str]) -> dict[str, Any]:
    """Best-of-rounds sub-env steps/s of three sides: the env alone, the env + the judge calls, the U wrapper."""
    judges = {"raw+judge": make("constant"), "wrapped": make("constant")}
    loop_judge = {"raw": lambda requests: None, "raw+judge": judges["raw+judge"], "wrapped": None}
    if case == "single":
        envs = {"raw": gym.make(env_id), "raw+judge": gym.make(env_id),
                "wrapped": UnifiedWrapper(gym.make(env_id), judges["wrapped"])}
        total, label = steps, f"UnifiedWrapper(gym.make({env_id!r}))"

        def side(name: str, r: int) -> float:
            return run_single(envs[name], steps, r, tasks, loop_judge[name])
    else:
        n = int(case.removeprefix("vector"))
        cycles = {name: {"tasks": tasks, "next": 0} for name in loop_judge}
        envs = {name: make_vec(env_id, n, cycles[name]) for name in loop_judge}
        envs["wrapped"] = vw.UnifiedWrapper(envs["wrapped"], judges["wrapped"])
        vsteps = max(1, steps // n)
        total, label = vsteps * n, f"vector.UnifiedWrapper(make_vec({env_id!r}, {n}))"

        def side(name: str, r: int) -> float:
            return run_vector(envs[name], cycles[name], vsteps, r, loop_judge[name])
    best = dict.fromkeys(envs, 0.0)
    for r in range(rounds):
        for name in list(envs) if r % 2 == 0 else list(envs)[::-1]:
            best[name] = max(best[name], side(name, r))
    calls = {name: (j.calls, j.requests_seen) for name, j in judges.items()}
    assert calls["raw+judge"] == calls["wrapped"], f"the two sides judged differently: {calls}"
    us = {name: 1e6 / rate for name, rate in best.items()}
    print(f"[{case}] {label}, {total} sub-env steps x {rounds} rounds (best round each); "
          f"{calls['wrapped'][0] / rounds:.0f} judge calls a round, {calls['wrapped'][1] / rounds:.0f} requests")
    print(f"    env alone:              {best['raw']:10,.0f} steps/s ({us['raw']:.2f} µs/step)")
    print(f"    env + same judge calls: {best['raw+judge']:10,.0f} steps/s ({us['raw+judge']:.2f} µs/step)")
    print(f"    U wrapper:              {best['wrapped']:10,.0f} steps/s ({us['wrapped']:.2f} µs/step)")
    ratio, ratio_env = best["raw+judge"] / best["wrapped"], best["raw"] / best["wrapped"]
    print(f"    wrapper bookkeeping {us['wrapped'] - us['raw+judge']:.2f} µs/step, constant judge "
          f"{us['raw+judge'] - us['raw']:.2f} µs/step")
    print(f"    ratio (env + judge)/wrapped: {ratio:.3f}x (goal <= {GOAL}x); env alone/wrapped: {ratio_env:.3f}x")
    return {"benchmark": f"wrapper_overhead[{case}]", "ours": round(best["wrapped"], 1),
            "baseline": round(best["raw+judge"], 1), "ratio": round(ratio, 3),
            "goal": f"(raw env + same constant-judge calls) / U-wrapped steps/s <= {GOAL}", "met": ratio <= GOAL}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="rrm/WebWalker-v0")
    parser.add_argument("--cases", default="single,vector8,vector64", help="single and/or vectorN, comma-separated")
    parser.add_argument("--steps", type=int, default=20_000, help="sub-env steps per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tasks = task_pool(args.env, 64)
    lines = [measure(case.strip(), args.env, args.steps, args.rounds, tasks) for case in args.cases.split(",")]
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
