"""Run every benchmark script and collect the JSON lines they end with into one table.

Each script in ``benchmarks/`` ends by printing one JSON line per measured case,
``{"benchmark": NAME, "ours": X, "baseline": Y, "ratio": R, "goal": "...", "met": true|false}``. This runs them one
after the other (each in its own process, with the same Python), echoes their output, and prints a markdown table
of those lines at the end (``--out FILE`` also writes the lines as JSONL).

Run: python benchmarks/run_all.py [--scripts wrapper_overhead,judge_batching] [--quick] [--out results.jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = ["wrapper_overhead", "judge_batching", "rollout_throughput", "ppo_vs_trl_grpo"]
QUICK = {  # fewer repetitions: for a smoke run on a busy machine
    "wrapper_overhead": ["--steps", "5000", "--rounds", "3"],
    "judge_batching": ["--envs", "8", "--passes", "natural", "--refinements", "0"],
    "rollout_throughput": ["--rounds", "2"],
    "ppo_vs_trl_grpo": ["--steps", "1"],
}


def results_of(output: str) -> list[dict[str, Any]]:
    """The benchmark JSON lines in a script's output.

    Example:
        >>> results_of('hello\\n{"benchmark": "x", "ratio": 1.0}\\n{"other": 1}')
        [{'benchmark': 'x', 'ratio': 1.0}]
    """
    found = []
    for line in output.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict) and "benchmark" in item:
            found.append(item)
    return found


def table(rows: list[dict[str, Any]]) -> str:
    """A markdown table of benchmark lines."""
    lines = ["| benchmark | ours | baseline | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**"}.get(r.get("met"), "?")
        lines.append(f"| {r.get('benchmark')} | {r.get('ours')} | {r.get('baseline')} | {r.get('ratio')} | "
                     f"{r.get('goal')} | {met} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scripts", default=",".join(SCRIPTS), help="comma-separated script names")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (see QUICK)")
    parser.add_argument("--out", default=None, help="also write the collected lines to this JSONL file")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    failed = []
    for name in args.scripts.split(","):
        command = [sys.executable, str(HERE / f"{name}.py"), *(QUICK.get(name, []) if args.quick else [])]
        print(f"$ {' '.join(command)}", flush=True)
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            failed.append(name)
            sys.stdout.write(proc.stderr[-4000:])
        found = results_of(proc.stdout)
        if not found:
            rows.append({"benchmark": name, "ours": None, "baseline": None, "ratio": None,
                         "goal": f"no result (exit status {proc.returncode})", "met": None})
        rows.extend(found)
    print()
    print(table(rows))
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
