"""Does the main job learn? Run the default ``rrm-gym train`` for several seeds and print before/after per seed.

Each seed is the README's main job unchanged (WebWalker easy, unified feedback, reference judge, PPO with LoRA on
the bundled SmolLM2-135M in ``choose`` mode), with ``--seed`` set, in its own run directory under ``--out``. The
script prints held-out success before and after training per seed with Wilson 95% intervals, the wall time of each
run, the mean prompt tokens per turn, and the mean gain; it ends with one JSON line (``benchmark``, ``ours`` = mean
success after, ``baseline`` = mean success before, ``ratio``, ``goal``, ``met``).

Usage::

    python benchmarks/llm_learning.py --seeds 0,1,2 --out runs/llm_learning
    python benchmarks/llm_learning.py --seeds 0 --set eval_episodes=20   # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

GOAL_POINTS = 15.0
GOAL_WALL_S = 600.0


def _value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", default="runs/llm_learning")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="Override a TrainConfig field (JSON values), e.g. eval_episodes=50.")
    args = ap.parse_args()

    from rich.console import Console

    from rrm_gym.agents.run.config import TrainConfig
    from rrm_gym.agents.run.runner import run_training
    from rrm_gym.report.metrics import read_jsonl

    console = Console()
    overrides = {k: _value(v) for k, _, v in (s.partition("=") for s in args.set)}
    rows = []
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        out = Path(args.out) / f"seed{seed}"
        config = TrainConfig.from_sources(None, {**overrides, "seed": seed, "out": str(out), "progress": False})
        start = time.perf_counter()
        if (out / "eval_after.json").is_file():
            before = json.loads((out / "eval_before.json").read_text())
            after = json.loads((out / "eval_after.json").read_text())
            wall = float("nan")
        else:
            result = run_training(config, console=console)
            before, after, wall = result.eval_before or {}, result.eval_after or {}, time.perf_counter() - start
        metrics = read_jsonl(out / "metrics.jsonl")
        tokens = [m.get("learner/prompt_tokens_per_turn") for m in metrics if m.get("learner/prompt_tokens_per_turn")]
        rows.append({"seed": seed, "before": before.get("success_rate", math.nan),
                     "before_ci": (before.get("ci_low"), before.get("ci_high")),
                     "after": after.get("success_rate", math.nan),
                     "after_ci": (after.get("ci_low"), after.get("ci_high")),
                     "episodes": after.get("episodes"), "wall_s": wall,
                     "prompt_tokens": sum(tokens) / len(tokens) if tokens else math.nan})

    def pct(x: float) -> str:
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"

    print(f"{'seed':>4}  {'before':>18}  {'after':>18}  {'gain':>7}  {'episodes':>8}  {'wall':>7}  {'tok/turn':>8}")
    for r in rows:
        b = f"{pct(r['before'])} [{pct(r['before_ci'][0])}, {pct(r['before_ci'][1])}]"
        a = f"{pct(r['after'])} [{pct(r['after_ci'][0])}, {pct(r['after_ci'][1])}]"
        print(f"{r['seed']:>4}  {b:>18}  {a:>18}  {100 * (r['after'] - r['before']):+6.1f}  {r['episodes']!s:>8}  "
              f"{r['wall_s']:6.0f}s  {r['prompt_tokens']:8.0f}")
    before = sum(r["before"] for r in rows) / len(rows)
    after = sum(r["after"] for r in rows) / len(rows)
    walls = [r["wall_s"] for r in rows if not math.isnan(r["wall_s"])]
    gain = 100 * (after - before)
    print(f"mean  {pct(before):>18}  {pct(after):>18}  {gain:+6.1f}  max wall {max(walls) if walls else math.nan:.0f}s")
    met = gain >= GOAL_POINTS and (not walls or max(walls) <= GOAL_WALL_S)
    print(json.dumps({"benchmark": "llm_learning", "ours": round(after, 4), "baseline": round(before, 4),
                      "ratio": round(after / before, 3) if before else None,
                      "goal": f"mean held-out gain >= {GOAL_POINTS:g} points, each run <= {GOAL_WALL_S:g} s",
                      "met": bool(met)}))


if __name__ == "__main__":
    main()
