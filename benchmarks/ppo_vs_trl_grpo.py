"""Update step of our PPO and of our GRPO vs TRL's ``GRPOTrainer`` step: same model, LoRA, batch and lengths, one run.

Both sides train the bundled SmolLM2-135M-Instruct with the same LoRA adapter (rank, alpha, target modules and
layers: ``LLMPolicy``'s defaults), on a batch of ``--batch`` completions of exactly ``--completion`` tokens for one
WebWalker prompt (GRPO's group), with a KL penalty to the reference (adapter disabled, beta 0.04), token-level loss,
one epoch, one minibatch and no gradient checkpointing.

* TRL: ``GRPOTrainer.train()`` for ``1 + --steps`` steps (the first is a warm-up). A step's wall time is taken from
  ``on_step_begin`` to ``on_step_end``; the time spent in its generation (``_generate_single_turn``) is measured
  too, so ``update = step - generation`` (reference log-probs, loss, backward, optimizer step).
* Ours: ``LLMPolicy.generate`` of the batch (forced to the same length), then ``GRPO.update`` (row "GRPO") or
  ``PPO.update`` (row "PPO": the same plus the value head's loss, the policy has a value head) on it exactly as the
  learners do: reference log-probs, loss, backward, Adam step.

**Frozen-layer reuse is part of ours:** the layers below the LoRA adapter are frozen, so ``LLMPolicy.generate``
keeps their hidden states and our updates start from them; TRL recomputes those layers in its update. The "update"
ratios therefore measure our design, not a like-for-like kernel race; the full-step ratios include generation.

Prints the medians and the ratios ours/TRL (goal: update ratio <= 1.0x, i.e. ours not slower), then one JSON line
per row (PPO, GRPO).

Usage: python benchmarks/ppo_vs_trl_grpo.py [--batch 8] [--completion 32] [--steps 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--completion", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()

    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer

    import rrm_gym  # noqa: F401
    from rrm_gym.agents import GRPO, PPO, GRPOConfig, LLMPolicy, PPOConfig
    from rrm_gym.envs.from_id import make_task_env
    from rrm_gym.wrappers import make_vector_env

    obs, _ = make_task_env("rrm/WebWalker-v0", difficulty="easy").reset(seed=0)
    batch, length = args.batch, args.completion
    envs = make_vector_env("rrm/WebWalker-v0", 1, feedback="none", difficulty="easy")

    # ------------------------------------------------------------------ ours
    def ours(kind: str) -> tuple[list[float], list[float], Any, list[int]]:
        """Medians' inputs: update and generation seconds per step (after a warm-up) of our GRPO or PPO."""
        policy = LLMPolicy(seed=0, value_head=kind == "PPO", max_new_tokens=length, temperature=0.7,
                           action_mode="generate")
        conv = [{"role": "system", "content": policy.system_prompt}, {"role": "user", "content": obs}]
        if kind == "PPO":
            learner: Any = PPO(policy, envs, PPOConfig(kl_coef=0.04, num_minibatches=1, update_epochs=1,
                                                       learning_rate=1e-5))
        else:
            learner = GRPO(policy, envs, GRPOConfig(group_size=2, kl_coef=0.04, num_minibatches=1, update_epochs=1,
                                                    learning_rate=1e-5))
        update_s, gen_s = [], []
        for _ in range(1 + args.steps):
            start = time.perf_counter()
            gens = policy.generate([conv] * batch, max_new_tokens=length, min_new_tokens=length)
            mid = time.perf_counter()
            assert all(len(g.action_ids) == length for g in gens)
            rows: dict[str, list[Any]] = {"prompts": [g.prompt_ids for g in gens],
                                          "actions": [g.action_ids for g in gens],
                                          "logprobs": [g.logprobs for g in gens], "frozen": [g.frozen for g in gens]}
            if kind == "PPO":
                rows.update(values=[g.values for g in gens], rewards=[0.0] * batch,
                            advantages=[[(-1.0) ** r] * length for r in range(batch)],
                            returns=[[0.5] * length for _ in range(batch)])
            else:
                rows["advantages"] = [(-1.0) ** r for r in range(batch)]
            learner.update(rows)
            gen_s.append(mid - start)
            update_s.append(time.perf_counter() - mid)
        return update_s[1:], gen_s[1:], policy, policy.encode_prompt(conv)[0]

    mine = {kind: ours(kind) for kind in ("PPO", "GRPO")}
    policy, prompt = mine["GRPO"][2], mine["GRPO"][3]
    conv = [{"role": "system", "content": policy.system_prompt}, {"role": "user", "content": obs}]
    lora = policy.lora_settings
    assert lora is not None

    # ------------------------------------------------------------------ TRL
    step_times: list[float] = []
    gen_times: list[float] = []

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *a, **k):  # noqa: ANN002, ANN003
            self.start = time.perf_counter()

        def on_step_end(self, *a, **k):  # noqa: ANN002, ANN003
            step_times.append(time.perf_counter() - self.start)

    def reward(completions, **kwargs):  # noqa: ANN001, ANN003
        return [float(len(str(c)) % 3) for c in completions]

    with tempfile.TemporaryDirectory() as out:
        config = TRLConfig(
            output_dir=out, per_device_train_batch_size=batch, num_generations=batch, max_completion_length=length,
            generation_kwargs={"min_new_tokens": length}, beta=0.04, loss_type="dapo", learning_rate=1e-5,
            temperature=0.7, max_steps=1 + args.steps, logging_steps=1, report_to="none", save_strategy="no",
            use_cpu=True, bf16=False, gradient_checkpointing=False, disable_dropout=True, seed=0,
        )
        peft_config = LoraConfig(r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                                 target_modules=lora["target_modules"], layers_to_transform=lora["layers"],
                                 task_type="CAUSAL_LM")
        dataset = Dataset.from_list([{"prompt": conv}] * (1 + args.steps))
        trainer = GRPOTrainer(model=policy.model_path, reward_funcs=[reward], args=config, train_dataset=dataset,
                              peft_config=peft_config, callbacks=[StepTimer()])
        original = trainer._generate_single_turn

        def timed_generation(*a, **k):  # noqa: ANN002, ANN003
            start = time.perf_counter()
            result = original(*a, **k)
            gen_times.append(time.perf_counter() - start)
            return result

        trainer._generate_single_turn = timed_generation
        trainer.train()
    trl_steps = step_times[1:]
    trl_updates = [s - g for s, g in zip(step_times[1:], gen_times[1:], strict=False)]

    med = statistics.median
    print(f"batch={batch} prompt_tokens={len(prompt)} completion_tokens={length} lora r={lora['r']} "
          f"layers={'all' if lora['layers'] is None else len(lora['layers'])} threads={torch.get_num_threads()}")
    print(f"TRL GRPOTrainer  : step {med(trl_steps):.2f}s, of which update {med(trl_updates):.2f}s "
          "(recomputes the frozen layers)")
    lines = []
    for kind, (update_s, gen_s, _, _) in mine.items():
        update, step = med(update_s), med(gen_s) + med(update_s)
        ratio = update / med(trl_updates)
        print(f"ours ({kind:<4})      : step {step:.2f}s, of which update {update:.2f}s "
              "(reuses the frozen layers' states from generation)")
        print(f"    update ratio ours/TRL = {ratio:.3f}x (goal <= 1.0x); full-step ratio ours/TRL = "
              f"{step / med(trl_steps):.3f}x")
        lines.append({"benchmark": f"ppo_vs_trl_grpo[our {kind} update vs TRL GRPO update, frozen-layer reuse is "
                                   "ours]", "ours": round(update, 3), "baseline": round(med(trl_updates), 3),
                      "ratio": round(ratio, 3), "goal": "update seconds ours/TRL <= 1.0", "met": ratio <= 1.0})
    for line in lines:
        print(json.dumps(line))


if __name__ == "__main__":
    main()
