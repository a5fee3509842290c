"""Batched rollout throughput: ``LLMPolicy.generate`` vs raw ``model.generate`` on the same model and batch.

Both sides decode the same prompts (first observations of ``rrm/WebWalker-v0`` tasks in the agent's chat template)
with the same model object, batch size and ``max_new_tokens``, greedily, so they produce the same tokens and do the
same work; ours additionally renders and tokenizes the conversations, fits the prompt budget and returns per-token
log-probs and value-head values. Rounds alternate the order of the two sides; the median time of each side is
compared. Prints tokens/s of each side and the ratio (goal: ours >= 0.9x raw), then one JSON line.

Usage: python benchmarks/rollout_throughput.py [--batch 8] [--new-tokens 48] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=None, help="model path (default: bundled SmolLM2-135M-Instruct)")
    args = parser.parse_args()

    import torch

    import rrm_gym  # noqa: F401
    from rrm_gym.agents import LLMPolicy
    from rrm_gym.envs.from_id import make_task_env

    policy = LLMPolicy(args.model, seed=0, max_new_tokens=args.new_tokens, action_mode="generate")
    env = make_task_env("rrm/WebWalker-v0", difficulty="easy")
    convs = []
    for k in range(args.batch):
        obs, _ = env.reset(seed=k)
        convs.append([{"role": "system", "content": policy.system_prompt}, {"role": "user", "content": obs}])
    prompts = [policy.encode_prompt(c)[0] for c in convs]
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), policy.pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, p in enumerate(prompts):
        ids[r, width - len(p) :] = torch.tensor(p)
        mask[r, width - len(p) :] = 1
    stop = set(policy.stop_ids)

    def ours() -> int:
        return sum(len(g.action_ids) for g in policy.generate(convs, greedy=True))

    @torch.no_grad()
    def raw() -> int:
        out = policy.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=args.new_tokens,
                                    do_sample=False, eos_token_id=policy.stop_ids, pad_token_id=policy.pad_id)
        total = 0
        for row in out[:, width:].tolist():
            total += next((i + 1 for i, t in enumerate(row) if t in stop), len(row))
        return total

    ours(), raw()  # warm-up
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    tokens: dict[str, int] = {}
    for r in range(args.rounds):
        for name, fn in ((("ours", ours), ("raw", raw)) if r % 2 == 0 else (("raw", raw), ("ours", ours))):
            start = time.perf_counter()
            tokens[name] = fn()
            times[name].append(time.perf_counter() - start)
    t_ours, t_raw = statistics.median(times["ours"]), statistics.median(times["raw"])
    tps_ours, tps_raw = tokens["ours"] / t_ours, tokens["raw"] / t_raw
    print(f"batch={args.batch} prompt_tokens<={width} new_tokens<={args.new_tokens} threads={torch.get_num_threads()}")
    print(f"raw model.generate : {tokens['raw']} tokens in {t_raw:.2f}s = {tps_raw:.1f} tokens/s")
    print(f"LLMPolicy.generate : {tokens['ours']} tokens in {t_ours:.2f}s = {tps_ours:.1f} tokens/s "
          "(+ chat template, log-probs, values)")
    ratio = tps_ours / tps_raw
    print(f"ratio ours/raw = {ratio:.3f}x (goal >= 0.9x)")
    print(json.dumps({"benchmark": f"rollout_throughput[batch {args.batch}, {args.new_tokens} new tokens]",
                      "ours": round(tps_ours, 2), "baseline": round(tps_raw, 2), "ratio": round(ratio, 3),
                      "goal": "LLMPolicy.generate / raw model.generate tokens/s >= 0.9", "met": ratio >= 0.9}))


if __name__ == "__main__":
    main()
