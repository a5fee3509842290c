"""Update step of our GRPO vs TRL's ``GRPOTrainer`` step: same model, LoRA, batch and sequence lengths, one run.

Both sides train the bundled SmolLM2-135M-Instruct with the same LoRA adapter (rank, alpha, target modules and
layers: ``LLMPolicy``'s defaults), on a batch of ``--batch`` completions of exactly ``--completion`` tokens for one
WebWalker prompt (GRPO's group), with a KL penalty to the reference (adapter disabled, beta 0.04), token-level loss
and no gradient checkpointing.

* TRL: ``GRPOTrainer.train()`` for ``1 + --steps`` steps (the first is a warm-up). A step's wall time is taken from
  ``on_step_begin`` to ``on_step_end``; the time spent in its generation (``_generate_single_turn``) is measured
  too, so ``update = step - generation`` (reference log-probs, loss, backward, optimizer step).
* Ours: ``LLMPolicy.generate`` of the batch (forced to the same length), then ``GRPO.update`` on it exactly as the
  learner does (reference log-probs, loss, backward, Adam step; the frozen layers' states come from generation).

Prints the medians and the ratios ours/TRL (goal: update ratio <= 1.0x, i.e. ours not slower).

Usage: python benchmarks/ppo_vs_trl_grpo.py [--batch 8] [--completion 32] [--steps 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--completion", type=int, default=32)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()

    import gymnasium as gym
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer

    import rrm_gym  # noqa: F401
    from rrm_gym.agents.llm.config import GRPOConfig
    from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT
    from rrm_gym.agents.llm.grpo import GRPO
    from rrm_gym.agents.llm.policy import LLMPolicy
    from rrm_gym.wrappers import make_vector_env

    obs, _ = gym.make("rrm/WebWalker-v0", difficulty="easy").reset(seed=0)
    conv = [{"role": "system", "content": SYSTEM_PROMPT_AGENT}, {"role": "user", "content": obs}]
    policy = LLMPolicy(seed=0, value_head=False, max_new_tokens=args.completion, temperature=0.7)
    lora = policy.lora_settings
    assert lora is not None
    batch, length = args.batch, args.completion

    # ------------------------------------------------------------------ ours
    envs = make_vector_env("rrm/WebWalker-v0", 1, feedback="none", difficulty="easy")
    learner = GRPO(policy, envs, GRPOConfig(group_size=2, kl_coef=0.04, num_minibatches=1, learning_rate=1e-5))
    prompt = policy.encode_prompt(conv)[0]
    ours_update, ours_gen = [], []
    for _ in range(1 + args.steps):
        start = time.perf_counter()
        gens = policy.generate([conv] * batch, max_new_tokens=length, min_new_tokens=length)
        mid = time.perf_counter()
        assert all(len(g.action_ids) == length for g in gens)
        learner.update({"prompts": [g.prompt_ids for g in gens], "actions": [g.action_ids for g in gens],
                        "logprobs": [g.logprobs for g in gens], "frozen": [g.frozen for g in gens],
                        "advantages": [(-1.0) ** r for r in range(batch)]})
        ours_gen.append(mid - start)
        ours_update.append(time.perf_counter() - mid)
    ours_update, ours_gen = ours_update[1:], ours_gen[1:]

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
    print(f"TRL GRPOTrainer  : step {med(trl_steps):.2f}s, of which update {med(trl_updates):.2f}s")
    print(f"ours (GRPO)      : step {med(ours_gen) + med(ours_update):.2f}s, of which update {med(ours_update):.2f}s")
    print(f"update ratio ours/TRL = {med(ours_update) / med(trl_updates):.3f}x (goal <= 1.0x)")
    print(f"full-step ratio ours/TRL = {(med(ours_gen) + med(ours_update)) / med(trl_steps):.3f}x")


if __name__ == "__main__":
    main()
