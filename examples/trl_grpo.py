"""Train with TRL's GRPOTrainer on an rrm/* env with reasoning-reward-model feedback (C, R or U).

The env's tools (click, back, ... plus `answer`) become the model's tools; every tool call is one env step behind
the feedback wrapper, so under `unified` the critique of a wrong answer comes back as the tool result and the model
retries in the same rollout; the reward is the wrapper's shaped return (env reward + λ·score of every attempt).

    python examples/trl_grpo.py                       # bundled SmolLM2-135M, 2 steps, CPU
    python examples/trl_grpo.py --steps 200 --model Qwen/Qwen2.5-1.5B-Instruct --judge openai \
        --judge-opt base_url=http://judge-host:8000/v1 --judge-opt model=Agent-RRM

On several GPUs / machines, launch the same script with `accelerate launch` (see docs/scaling.md).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="rrm/WebWalker-v0")
    parser.add_argument("--feedback", default="unified", choices=["none", "critique", "reward", "unified"])
    parser.add_argument("--judge", default="reference", help="name for rrm_gym.judges.make")
    parser.add_argument("--judge-opt", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--model", default=None, help="HF folder or hub id (default: bundled SmolLM2-135M)")
    parser.add_argument("--steps", type=int, default=2, help="GRPOTrainer optimizer steps")
    parser.add_argument("--num-generations", type=int, default=2, help="rollouts per task (paper: 8)")
    parser.add_argument("--max-completion-length", type=int, default=256)
    parser.add_argument("--use-vllm", action="store_true", help="generate with a `trl vllm-serve` server")
    parser.add_argument("--vllm-server-base-url", default=None)
    parser.add_argument("--out", default="runs/trl-grpo")
    args = parser.parse_args()

    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOTrainer

    import rrm_gym  # noqa: F401  (registers the envs)
    from rrm_gym.agents.bridges.trl.env import (
        environment_factory,
        make_dataset,
        make_grpo_config,
        prepare_tokenizer,
        shaped_reward,
    )
    from rrm_gym.cli.options import parse_key_values
    from rrm_gym.models import resolve_model_path

    judge_kwargs = parse_key_values(args.judge_opt, "judge option")  # values are JSON when they parse
    env_kwargs = {"difficulty": "easy"} if args.env == "rrm/WebWalker-v0" else {}
    factory = environment_factory(args.env, feedback=args.feedback, judge=args.judge, judge_kwargs=judge_kwargs,
                                  **env_kwargs)
    model_path = resolve_model_path(args.model)
    tokenizer = prepare_tokenizer(AutoTokenizer.from_pretrained(model_path))
    vllm = {"use_vllm": True, "vllm_mode": "server"} if args.use_vllm else {}
    if args.vllm_server_base_url:
        vllm["vllm_server_base_url"] = args.vllm_server_base_url
    config = make_grpo_config(args.out, max_steps=args.steps, num_generations=args.num_generations,
                              max_completion_length=args.max_completion_length, **vllm)
    trainer = GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(model_path, dtype="float32"),
        processing_class=tokenizer,
        reward_funcs=shaped_reward,
        args=config,
        train_dataset=make_dataset(max(8, args.steps * args.num_generations), seed=0),
        peft_config=LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM"),
        environment_factory=factory,
    )
    trainer.train()
    trainer.save_model(args.out)
    for row in trainer.state.log_history:
        if "loss" in row:
            print(f"step {row['step']}: reward {row['reward']:.3f} env {row.get('rrm/reward_env', 0):.3f} "
                  f"success {row.get('rrm/success', 0):.2f}")
    print(f"env steps: {factory.env_steps}; model saved to {args.out}")


if __name__ == "__main__":
    main()
