"""Overhead of the U wrappers (instant judge) over the raw env, single and vector, measured in one run.

What is timed, for each case, is the same scripted episodes on both sides (seeded random valid actions, a final
answer with probability 0.15 per step) over the same pool of 64 tasks, with the same env work:

* ``single``: ``gym.make(ENV)`` vs ``rrm_gym.wrappers.UnifiedWrapper(gym.make(ENV), judges.make("constant"))``.
  Where the wrapper restarts a task for its refinement (``reset`` by ``task_id``), the raw loop makes the same
  ``reset`` itself, so both sides run the same number of env steps and resets.
* ``single-reward``: the same with ``rrm_gym.wrappers.ShapedRewardWrapper`` (R: a judgement per attempt, no
  refinement), to show what the refinement observation costs on its own.
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
Ratio = the median over rounds of (env + judge calls) steps/s / wrapped steps/s, the two timed side by side in each
round (1.00 = no overhead); goal <= 1.05. The best-round ratio and the spread over rounds are printed too.

With ``--instructions`` (needs valgrind) it also counts CPU instructions per sub-env step of each side with
``valgrind --tool=callgrind``, from two runs of different lengths (so start-up cancels out): unlike seconds, the
count is the same on every run, busy machine or not, so the ratio of counts is the figure to trust where timings are
noisy. It runs the sides two at a time and takes a few minutes.

Run: python benchmarks/wrapper_overhead.py [--cases single,single-reward,vector8,vector64] [--steps 10000]
    [--rounds 9] [--instructions]
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
from rrm_gym.wrappers import ShapedRewardWrapper, UnifiedWrapper
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


def run_single(env: gym.Env, steps: int, seed: int, tasks: list[str], judge: Any = None, redo: bool = True) -> float:
    """Sub-env steps/s. With ``judge`` (the raw side), the loop itself calls the judge at the end of each attempt
    and (with ``redo``) redoes each task once, as the U wrapper does."""
    rng = np.random.default_rng(seed)
    next_task, attempt = 0, 1
    obs, info = env.reset(options={"task_id": tasks[0]})
    start = time.perf_counter()
    for _ in range(steps):
        obs, reward, term, trunc, info = env.step(choose(rng, info.get("valid_actions")))
        if term or trunc:
            if judge is not None:
                judge([REQUEST])
            if judge is not None and redo and attempt == 1:
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


def sub_env_steps(case: str, steps: int) -> int:
    """The sub-env steps a side of ``case`` runs for ``steps`` asked (a vector case runs whole vector steps)."""
    if case.startswith("single"):
        return steps
    n = int(case.removeprefix("vector"))
    return max(1, steps // n) * n


def build(case: str, env_id: str, steps: int, tasks: list[str]) -> tuple[dict[str, Any], Any, int, str]:
    """The instant judges, a ``side(name, round) -> steps/s`` runner over fresh envs, the steps a round and a label."""
    judges = {"raw+judge": make("constant"), "wrapped": make("constant")}
    loop_judge = {"raw": lambda requests: None, "raw+judge": judges["raw+judge"], "wrapped": None}
    if case in ("single", "single-reward"):
        redo = case == "single"
        wrapper = UnifiedWrapper if redo else ShapedRewardWrapper
        envs = {"raw": gym.make(env_id), "raw+judge": gym.make(env_id),
                "wrapped": wrapper(gym.make(env_id), judges["wrapped"])}
        total, label = steps, f"{wrapper.__name__}(gym.make({env_id!r}))"

        def side(name: str, r: int) -> float:
            return run_single(envs[name], steps, r, tasks, loop_judge[name], redo)
    else:
        n = int(case.removeprefix("vector"))
        cycles = {name: {"tasks": tasks, "next": 0} for name in loop_judge}
        envs = {name: make_vec(env_id, n, cycles[name]) for name in loop_judge}
        envs["wrapped"] = vw.UnifiedWrapper(envs["wrapped"], judges["wrapped"])
        vsteps = sub_env_steps(case, steps) // n
        total, label = vsteps * n, f"vector.UnifiedWrapper(make_vec({env_id!r}, {n}))"

        def side(name: str, r: int) -> float:
            return run_vector(envs[name], cycles[name], vsteps, r, loop_judge[name])
    return judges, side, total, label


def measure(case: str, env_id: str, steps: int, rounds: int, tasks: list[str]) -> dict[str, Any]:
    """Sub-env steps/s of three sides: the env alone, the env + the judge calls, the U (or R) wrapper."""
    judges, side, total, label = build(case, env_id, steps, tasks)
    envs = ["raw", "raw+judge", "wrapped"]
    best = dict.fromkeys(envs, 0.0)
    paired: list[float] = []  # per round: (env + judge) / wrapped, the two sides timed next to each other
    for r in range(rounds):
        rates = {}
        for name in envs if r % 2 == 0 else envs[::-1]:
            rates[name] = side(name, r)
            best[name] = max(best[name], rates[name])
        paired.append(rates["raw+judge"] / rates["wrapped"])
    calls = {name: (j.calls, j.requests_seen) for name, j in judges.items()}
    assert calls["raw+judge"] == calls["wrapped"], f"the two sides judged differently: {calls}"
    us = {name: 1e6 / rate for name, rate in best.items()}
    print(f"[{case}] {label}, {total} sub-env steps x {rounds} rounds (best round each); "
          f"{calls['wrapped'][0] / rounds:.0f} judge calls a round, {calls['wrapped'][1] / rounds:.0f} requests")
    print(f"    env alone:              {best['raw']:10,.0f} steps/s ({us['raw']:.2f} µs/step)")
    print(f"    env + same judge calls: {best['raw+judge']:10,.0f} steps/s ({us['raw+judge']:.2f} µs/step)")
    print(f"    wrapped:                {best['wrapped']:10,.0f} steps/s ({us['wrapped']:.2f} µs/step)")
    ratio_best, ratio_env = best["raw+judge"] / best["wrapped"], best["raw"] / best["wrapped"]
    ratio = float(np.median(paired))
    print(f"    wrapper bookkeeping {us['wrapped'] - us['raw+judge']:.2f} µs/step, constant judge "
          f"{us['raw+judge'] - us['raw']:.2f} µs/step")
    print(f"    ratio (env + judge)/wrapped: median of rounds {ratio:.3f}x "
          f"(rounds {min(paired):.3f}-{max(paired):.3f}, "
          f"best rounds {ratio_best:.3f}x; goal <= {GOAL}x); env alone/wrapped: {ratio_env:.3f}x")
    return {"benchmark": f"wrapper_overhead[{case}]", "ours": round(best["wrapped"], 1),
            "baseline": round(best["raw+judge"], 1), "ratio": round(ratio, 3),
            "goal": f"median over rounds of (raw env + same constant-judge calls) / wrapped steps/s <= {GOAL}",
            "met": ratio <= GOAL}


def count_instructions(case: str, env_id: str, steps: int) -> dict[str, Any]:
    """Instructions per sub-env step of each side under callgrind: (count(2N) - count(N)) / N, two at a time."""
    import re
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    def count(name: str, n: int) -> int:
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--env", env_id, "--one-side", f"{case}:{name}:{n}"]
        err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
        return int(re.search(r"I\s+refs:\s+([\d,]+)", err).group(1).replace(",", ""))

    jobs = [(name, n) for name in ("raw", "raw+judge", "wrapped") for n in (steps, 2 * steps)]
    with ThreadPoolExecutor(2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: count(*job), jobs), strict=True))
    short, long = sub_env_steps(case, steps), sub_env_steps(case, 2 * steps)
    per = {name: (counts[(name, 2 * steps)] - counts[(name, steps)]) / (long - short)
           for name in ("raw", "raw+judge", "wrapped")}
    ratio = per["wrapped"] / per["raw+judge"]
    print(f"[{case}] CPU instructions per sub-env step (callgrind, runs of {short} and {long} steps)")
    print(f"    env alone {per['raw']:,.0f}; env + same judge calls {per['raw+judge']:,.0f}; "
          f"wrapped {per['wrapped']:,.0f}")
    print(f"    wrapper bookkeeping {per['wrapped'] - per['raw+judge']:,.0f} instructions/step; "
          f"ratio wrapped/(env + judge): {ratio:.3f}x (goal <= {GOAL}x)")
    return {"benchmark": f"wrapper_overhead_instructions[{case}]", "ours": round(per["wrapped"]),
            "baseline": round(per["raw+judge"]), "ratio": round(ratio, 3),
            "goal": f"wrapped / (raw env + same constant-judge calls) CPU instructions per step <= {GOAL}",
            "met": ratio <= GOAL}


def one_side(spec: str, env_id: str) -> None:
    """``CASE:SIDE:N``: a warm-up round, then N sub-env steps of one side (what ``--instructions`` counts)."""
    case, name, n = spec.rsplit(":", 2)
    tasks = task_pool(env_id, 64)
    _, warm, _, _ = build(case, env_id, 2000, tasks)
    warm(name, 0)
    _, side, _, _ = build(case, env_id, int(n), tasks)
    side(name, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="rrm/WebWalker-v0")
    parser.add_argument("--cases", default="single,single-reward,vector8,vector64",
                        help="single (U), single-reward (R) and/or vectorN (U), comma-separated")
    parser.add_argument("--steps", type=int, default=10_000, help="sub-env steps per round and side")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--instructions", action="store_true",
                        help="also count CPU instructions per step under valgrind's callgrind (deterministic)")
    parser.add_argument("--instruction-steps", type=int, default=4000, help="N of the N and 2N step runs counted")
    parser.add_argument("--one-side", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_side:
        one_side(args.one_side, args.env)
        return
    tasks = task_pool(args.env, 64)
    cases = [case.strip() for case in args.cases.split(",")]
    lines = [measure(case, args.env, args.steps, args.rounds, tasks) for case in cases]
    if args.instructions:
        lines += [count_instructions(case, args.env, args.instruction_steps) for case in cases]
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
