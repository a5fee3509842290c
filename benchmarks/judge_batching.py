"""Judge throughput of the SmolLM2 ``hf`` judge: continuous batching vs one request at a time, in one run.

A ``gymnasium.vector.SyncVectorEnv`` of N ``rrm/WebWalker-v0`` envs is wrapped by
``rrm_gym.wrappers.vector.UnifiedWrapper``. A scripted policy makes every sub-env click a few buttons and answer on
the same step, so each finished attempt (the first try, then its refinement) reaches the judge as one call of N
requests. Every such call is judged twice (three times with ``--static``) by the same ``HFJudge`` object, same
model, dtype, prompts and settings, in alternating order:

* ``batched``: ``judge(requests)``, the continuous-batching engine (``rrm_gym.judges.hf_engine``) with N slots;
* ``one-by-one``: ``judge([r])`` for each request (the baseline: the same engine, one request at a time);
* ``static`` (``--static``): ``model.generate`` on one static batch of N (``engine="generate"``, the old path).

The batched judgements go back to the wrapper. Both ways judge exactly the same requests; greedy decoding, every
reply stops at ``</score>``, end-of-sequence or ``--max-new-tokens``. Passes: "natural" (the model stops when it
wants) and "fixed" (every reply is exactly ``--max-new-tokens`` long: ``min_new_tokens``, no stop string).

The default dtype is float32, where batched and one-by-one greedy replies are token-for-token identical (counted and
printed), so both sides do exactly the same work; in bfloat16, batched kernels round differently and some replies
diverge (often in length), which would make the ratio measure different work.

Prefill (the user part of each prompt, on top of the shared system-prompt cache) is compute-bound and costs the same
either way, and a call needs at least as many decode steps as its longest reply: the script prints both and the
ceiling they set on the ratio. Goal: >= 4x judgements/s with natural lengths at 8 requests, >= 6x at 32.

Run: python benchmarks/judge_batching.py [--envs 8,32] [--passes natural,fixed] [--dtype float32] [--static]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import gymnasium as gym

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.envs.from_id import make_task_env
from rrm_gym.judges import HFJudge
from rrm_gym.types import Judgement, JudgeRequest, Trajectory
from rrm_gym.wrappers.vector import UnifiedWrapper

GOALS = {8: 4.0, 32: 6.0}


class TimedJudge:
    """Judges each call batched, one by one (and statically batched), alternating the order; returns batched."""

    def __init__(self, model: HFJudge, static: bool) -> None:
        self.model, self.name = model, model.name
        self.modes = ["batched", "one-by-one", *(["static"] if static else [])]
        self.calls = self.requests = 0
        self.seconds = dict.fromkeys(self.modes, 0.0)
        self.ok = dict.fromkeys(self.modes, 0)
        self.stats: dict[str, dict[str, float]] = {m: {} for m in self.modes}
        self.longest = 0  # longest batched reply, in tokens
        self.longest_sum = 0  # sum over calls of each call's longest batched reply
        self.same = 0

    def _timed(self, mode: str, requests: list[JudgeRequest]) -> list[Judgement]:
        self.model.engine = "generate" if mode == "static" else "continuous"
        self.model.engine_stats.clear()
        start = time.perf_counter()
        out = self.model(requests) if mode != "one-by-one" else [j for r in requests for j in self.model([r])]
        self.seconds[mode] += time.perf_counter() - start
        self.ok[mode] += sum(j.ok for j in out)
        for key, value in self.model.engine_stats.items():
            self.stats[mode][key] = self.stats[mode].get(key, 0) + value
        self.model.engine = "continuous"
        return out

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        order = self.modes if self.calls % 2 == 0 else self.modes[::-1]
        self.calls += 1
        self.requests += len(requests)
        results = {mode: self._timed(mode, requests) for mode in order}
        tokens = [len(self.model.tokenizer(j.raw)["input_ids"]) for j in results["batched"]]
        self.longest = max(self.longest, *tokens)
        self.longest_sum += max(tokens)
        self.same += sum(a.raw == b.raw for a, b in zip(results["batched"], results["one-by-one"], strict=True))
        return results["batched"]


def run(judge: TimedJudge, envs: int, clicks: int, refinements: int, seed: int) -> None:
    """The attempts (first try and refinements) of ``envs`` WebWalker tasks, all answering on the same step."""
    vec = gym.vector.SyncVectorEnv([lambda: make_task_env("rrm/WebWalker-v0") for _ in range(envs)])
    env = UnifiedWrapper(vec, judge, max_refinements=refinements)
    obs, infos = env.reset(seed=seed)
    for step in range((1 + refinements) * (clicks + 1)):
        phase = step % (clicks + 1)
        actions = []
        for i in range(envs):
            buttons = list(infos["valid_actions"][i] or [])
            if phase == clicks or not buttons:
                actions.append("\\boxed{I could not find it}")
            else:
                actions.append(buttons[(phase + i) % len(buttons)])
        obs, rewards, terms, truncs, infos = env.step(actions)
    env.close()


def report(label: str, n: int, judge: TimedJudge) -> dict[str, Any]:
    s = judge.seconds
    print(f"[{n} requests, {label}] {judge.calls} wrapper judge calls, {judge.requests} requests each way; parsed ok "
          + ", ".join(f"{m} {judge.ok[m]}" for m in judge.modes)
          + f"; batched == one-by-one reply for {judge.same}/{judge.requests}")
    for mode in judge.modes:
        st = judge.stats[mode]
        extra = ""
        if st:
            extra = (f"  [prefill {st.get('prefill_s', 0):.1f} s for {st.get('prefills', 0):.0f} prompts, decode "
                     f"{st.get('decode_s', 0):.1f} s in {st.get('decode_steps', 0):.0f} steps, "
                     f"{st.get('row_steps', 0) / max(1, st.get('decode_steps', 0)):.1f} rows/step]")
        print(f"    {mode:<10}: {s[mode]:7.1f} s, {judge.requests / s[mode]:6.3f} judgements/s{extra}")
    b, one = s["batched"], s["one-by-one"]
    ratio = one / b
    prefill = judge.stats["batched"].get("prefill_s", 0.0)
    single = judge.stats["one-by-one"]
    step_1 = single.get("decode_s", 0.0) / max(1, single.get("decode_steps", 0))
    bound = prefill + judge.longest_sum * step_1
    print(f"    reply tokens: batched {judge.stats['batched'].get('row_steps', 0) + judge.requests:.0f}, one-by-one "
          f"{single.get('row_steps', 0) + judge.requests:.0f} (equal when the replies are identical)")
    print(f"    speed-up batched vs one-by-one: {ratio:.2f}x (goal >= {GOALS.get(n, 4.0)}x). Where the batched time "
          f"goes: {100 * prefill / b:.0f}% prefill (compute-bound, the same work either way); a call needs at least "
          f"as many decode steps as its longest reply (longest {judge.longest} tokens), each >= one single-row step "
          f"({1000 * step_1:.0f} ms): no scheduler beats {bound:.1f} s here, a ceiling of {one / bound:.2f}x")
    if "static" in s:
        print(f"    static generate batch vs one-by-one: {one / s['static']:.2f}x")
    goal = GOALS.get(n, 4.0)
    return {"benchmark": f"judge_batching[{n} requests, {label}]", "ours": round(judge.requests / b, 4),
            "baseline": round(judge.requests / one, 4), "ratio": round(ratio, 3),
            "goal": f"batched/one-by-one judgements/s >= {goal}", "met": ratio >= goal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="8,32", help="sub-envs = requests per judge call, comma-separated cases")
    parser.add_argument("--passes", default="natural,fixed", help="natural and/or fixed (fixed runs for the first "
                        "--envs case only, it is the slow one)")
    parser.add_argument("--clicks", type=int, default=2, help="buttons clicked before answering, per attempt")
    parser.add_argument("--refinements", type=int, default=1, help="refinements per task (judge calls = 1 + this)")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--max-trajectory-tokens", type=int, default=256)
    parser.add_argument("--dtype", default="float32", help="torch dtype of the judge (float32 = checkpoint's: "
                        "batched and one-by-one replies are then identical; bfloat16 rounding makes them diverge)")
    parser.add_argument("--attn", default="sdpa", help="attention implementation (sdpa, eager)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: leave torch's default)")
    parser.add_argument("--static", action="store_true", help="also time model.generate on one static batch")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cases = [int(n) for n in args.envs.split(",")]
    settings = {"natural": ({}, ("</score>",)), "fixed": ({"min_new_tokens": args.max_new_tokens}, ())}
    lines = []
    model = None
    for k, n in enumerate(cases):
        for label in args.passes.split(","):
            if label == "fixed" and k > 0:
                continue
            generation_kwargs, stops = settings[label]
            model = HFJudge(max_new_tokens=args.max_new_tokens, batch_size=n,
                            max_trajectory_tokens=args.max_trajectory_tokens,
                            dtype=None if args.dtype == "float32" else args.dtype,
                            model_kwargs={"attn_implementation": args.attn}, generation_kwargs=generation_kwargs,
                            stop_strings=stops, score_fallback=False)  # times the generation engine alone
            model([JudgeRequest("warm-up", Trajectory(None, "warm-up"))])  # first-call overheads, untimed
            judge = TimedJudge(model, args.static)
            run(judge, n, args.clicks, args.refinements, args.seed)
            lines.append(report(label, n, judge))
    if model is not None:
        print(f"judge: {model.name} ({args.dtype}, {args.attn} attention, {torch.get_num_threads()} CPU thread(s), "
              f"device {model.device}, shared system-prompt cache: {model.uses_prefix_cache}); setup: N x "
              f"rrm/WebWalker-v0 in SyncVectorEnv + vector UnifiedWrapper, max_new_tokens={args.max_new_tokens}, "
              f"max_trajectory_tokens={args.max_trajectory_tokens}")
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
