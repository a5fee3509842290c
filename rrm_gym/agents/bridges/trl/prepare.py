"""Setup helpers of the TRL bridge: the prompt dataset, a ``GRPOConfig`` with sensible defaults, a tool template.

Re-exported by :mod:`rrm_gym.agents.bridges.trl.env`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_dataset", "make_grpo_config", "prepare_tokenizer", "SYSTEM_PROMPT_TRL"]

SYSTEM_PROMPT_TRL = (
    "You are an agent that solves the task in the user message with the tools you are given. Call one tool at a "
    "time and read its result before the next call. When you know the answer, call the answer tool with a short "
    "final answer. If the result of your answer holds a reviewer critique, use it and try again."
)


def make_dataset(num_tasks: int, seed: int = 0, split: str | None = None,
                 system_prompt: str | None = SYSTEM_PROMPT_TRL) -> Any:
    """A ``datasets.Dataset`` of ``num_tasks`` rows: a prompt (system message + empty user turn) and a ``seed``.

    TRL repeats each row ``num_generations`` times; the rows' seed makes those rollouts play the same task, which
    GRPO's group normalisation needs. The env's first observation (question, tools, page) is appended to the user
    turn by ``reset``.
    """
    from datasets import Dataset

    if num_tasks < 1:
        raise ValueError(f"num_tasks must be >= 1, got {num_tasks}")
    prompt = ([{"role": "system", "content": system_prompt}] if system_prompt else []) + [
        {"role": "user", "content": ""}]
    data: dict[str, list[Any]] = {"prompt": [prompt] * num_tasks, "seed": [seed + i for i in range(num_tasks)]}
    if split is not None:
        data["split"] = [split] * num_tasks
    return Dataset.from_dict(data)


def prepare_tokenizer(tokenizer: Any) -> Any:
    """Make a tokenizer usable with TRL's tool calling; returns it (modified in place).

    Templates that already render tool calls are left alone. A ChatML tokenizer (``<|im_start|>``/``<|im_end|>``,
    as SmolLM2 and Qwen use) without tool support gets TRL's Qwen2.5 template, whose ``<tool_call>{...}``
    format is also the format our envs parse. Anything else raises ``ValueError``.
    """
    from trl.chat_template_utils import qwen2_5_chat_template, supports_tool_calling

    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if supports_tool_calling(tokenizer):
        return tokenizer
    vocab = tokenizer.get_vocab()
    if "<|im_start|>" in vocab and "<|im_end|>" in vocab:
        tokenizer.chat_template = qwen2_5_chat_template
        return tokenizer
    raise ValueError("this tokenizer's chat template cannot render tool calls and is not ChatML; set a "
                     "tool-calling chat template (and a response schema) on it before using the TRL bridge")


def make_grpo_config(output_dir: str, **overrides: Any) -> Any:
    """A ``trl.GRPOConfig`` for our environments, with defaults that also run on a laptop CPU.

    Defaults (each can be overridden): 2 generations per task and one group per device step, completions up to 256
    tokens (tool results count toward it), ``max_tool_calling_iterations=8``, temperature 0.7 (the paper's),
    learning rate 1e-5, a log line per step, no Trainer checkpoints (the runner writes its own), no reporting
    integrations; on a machine without CUDA: ``use_cpu=True``, no bf16 and no gradient checkpointing.

    Scaling out is a matter of overrides, e.g. vLLM generation on a separate server (``use_vllm=True,
    vllm_mode="server", vllm_server_base_url="http://gen-host:8000"``) and ``accelerate launch`` for multi-GPU /
    multi-node training (see ``docs/scaling.md``).

    Example:
        >>> cfg = make_grpo_config("/tmp/out", max_steps=2, use_vllm=True, vllm_mode="server",
        ...                        vllm_server_base_url="http://gen:8000")  # doctest: +SKIP
        >>> cfg.use_vllm, cfg.vllm_mode  # doctest: +SKIP
        (True, 'server')
    """
    import torch
    from trl import GRPOConfig

    cuda = torch.cuda.is_available()
    defaults: dict[str, Any] = {
        "num_generations": 2, "per_device_train_batch_size": 2, "max_completion_length": 256,
        "max_tool_calling_iterations": 8, "temperature": 0.7, "learning_rate": 1e-5, "logging_steps": 1,
        "save_strategy": "no", "report_to": [], "beta": 0.0, "disable_tqdm": True,
    }
    if not cuda:
        defaults.update(use_cpu=True, bf16=False, gradient_checkpointing=False)
    if "num_generations" in overrides and not {"per_device_train_batch_size", "generation_batch_size",
                                               "steps_per_generation"} & set(overrides):
        defaults["per_device_train_batch_size"] = overrides["num_generations"]  # one whole group per step
    from rrm_gym._warnings import quiet_third_party_deprecations

    with quiet_third_party_deprecations():  # trl's config sets transformers' deprecated gradient_checkpointing
        return GRPOConfig(output_dir=output_dir, **{**defaults, **overrides})
