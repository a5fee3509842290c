"""Fine-tuning the student judge: TRL ``SFTTrainer`` + LoRA on the exact prompt of the ``hf`` judge.

Each example is the prompt :class:`~rrm_gym.judges.hf.HFJudge` builds — the Agent-RRM system prompt and
``Question: …\\n\\nAgent Trajectory: …`` from :func:`rrm_gym.judges.prompt.build_messages`, counted with the student's
tokenizer, through its chat template with the generation prompt — followed by the teacher's raw reply and the
end-of-turn token. The loss covers the reply only. The student sees the question and the trajectory, never the
reference. After training the LoRA is merged into the weights and the model is saved with its tokenizer as a plain
Hugging Face folder, which loads with ``rrm_gym.judges.make("hf", model=FOLDER)``.

Training resumes from the newest checkpoint in its output folder (Trainer checkpoints, every ``save_steps``).
torch, transformers, trl, peft and datasets are imported inside the functions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rrm_gym.distill.records import request_of, write_json

__all__ = ["SFTSettings", "tokenize_records", "train_student", "latest_checkpoint"]


@dataclass(frozen=True)
class SFTSettings:
    """How the student is trained.

    Attributes:
        epochs: Passes over the training set (``max_steps`` wins when set).
        max_steps: Optimizer steps; ``None`` derives them from ``epochs``.
        learning_rate: AdamW learning rate of the LoRA weights.
        batch_size: Sequences per forward pass.
        grad_accum: Forward passes per optimizer step.
        lora_r: LoRA rank; ``lora_alpha`` its scaling; ``lora_dropout`` its dropout.
        lora_layers: LoRA on the top this many transformer layers only (``None``: all). The backward pass stops at
            the lowest adapted layer, so fewer layers train much faster on a CPU.
        bf16: Train under bfloat16 autocast: ``"auto"`` where the hardware has fast bf16 (CUDA with bf16, CPUs with
            AVX512-BF16/AMX), else ``True``/``False``. The merged student is saved in float32 either way.
        max_trajectory_tokens: Trajectory budget of the prompt: the ``hf`` judge's default (1536), so the student
            is trained on the prompt it will be served.
        max_length: Longer examples are dropped (not cut: a cut target would teach replies without a score).
        prefix_cache: Compute the shared system prompt once per optimizer step, without gradient (see
            :mod:`rrm_gym.distill.prefix_trainer`): same loss, about a third less work per example.
        save_steps: Checkpoint every this many optimizer steps.
        time_limit_s: Stop training (and save) after this many seconds of this call; ``None``: no limit.
        threads: torch CPU threads (``None``: torch's default).
        seed: Seed of initialisation and shuffling.

    Example:
        >>> SFTSettings(epochs=2).lora_r
        16
    """

    epochs: float = 1.5
    max_steps: int | None = None
    learning_rate: float = 1e-3
    batch_size: int = 1
    grad_accum: int = 4
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    lora_layers: int | None = 12
    bf16: bool | str = "auto"
    max_trajectory_tokens: int = 1536
    max_length: int = 2560
    prefix_cache: bool = True
    save_steps: int = 10
    time_limit_s: float | None = None
    threads: int | None = None
    seed: int = 0


def tokenize_records(records: Iterable[dict[str, Any]], tokenizer: Any, max_trajectory_tokens: int = 1536,
                     max_length: int | None = None) -> tuple[list[dict[str, list[int]]], int]:
    """Token ids and labels (``-100`` on the prompt) of the labelled records; returns ``(examples, dropped)``.

    Example:
        >>> examples, dropped = tokenize_records(records, tokenizer)  # doctest: +SKIP
        >>> examples[0]["labels"][0]  # doctest: +SKIP
        -100
    """
    from rrm_gym.judges.prompt import build_messages

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    eos = tokenizer.eos_token_id
    examples, dropped = [], 0
    for record in records:
        messages = build_messages(request_of(record), max_trajectory_tokens, count)
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        target_ids = tokenizer(str(record["teacher"]["raw"]), add_special_tokens=False)["input_ids"]
        target_ids = target_ids + ([eos] if eos is not None else [])
        if max_length is not None and len(prompt_ids) + len(target_ids) > max_length:
            dropped += 1
            continue
        examples.append({"input_ids": prompt_ids + target_ids, "labels": [-100] * len(prompt_ids) + target_ids})
    return examples, dropped


def _bf16(setting: bool | str) -> bool:
    import torch

    if setting != "auto":
        return bool(setting)
    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _no_checkpointing(config_class: Any) -> dict[str, bool]:
    """Activation checkpointing off (TRL turns it on): it re-runs the forward pass, a cost a CPU cannot afford."""
    fields = getattr(config_class, "__dataclass_fields__", {})
    return {"activation_checkpointing": False} if "activation_checkpointing" in fields else {
        "gradient_checkpointing": False}


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The newest ``checkpoint-N`` folder with a complete trainer state, or ``None``."""
    found = []
    for path in Path(folder).glob("checkpoint-*"):
        if (path / "trainer_state.json").is_file() and path.name.split("-")[-1].isdigit():
            found.append((int(path.name.split("-")[-1]), path))
    return max(found)[1] if found else None


def _callback(total: int, on_step: Callable[[int, int, dict[str, float]], None] | None,
              time_limit_s: float | None) -> Any:
    from transformers import TrainerCallback

    class _Progress(TrainerCallback):
        """Reports steps and losses; stops training (with a checkpoint) when the time budget is spent."""

        def __init__(self) -> None:
            self.began = time.perf_counter()
            self.last: dict[str, float] = {}

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None,
                   **kwargs: Any) -> None:
            self.last = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float))}

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if on_step is not None:
                on_step(state.global_step, total, self.last)
            if time_limit_s is not None and time.perf_counter() - self.began > time_limit_s:
                control.should_training_stop = True
                control.should_save = True
            return control

    return _Progress()


def train_student(records: list[dict[str, Any]], base_model: str | Path, work_dir: str | Path, out_dir: str | Path,
                  settings: SFTSettings = SFTSettings(),
                  on_step: Callable[[int, int, dict[str, float]], None] | None = None) -> dict[str, Any]:
    """Fine-tune ``base_model`` on the labelled ``records`` and save the merged student in ``out_dir``.

    Args:
        records: Labelled training records (parsed teacher judgements only).
        base_model: The student's starting weights (a Hugging Face folder).
        work_dir: Trainer checkpoints (resumed from when present).
        out_dir: The merged student (weights, tokenizer, ``distill.json``).
        settings: Hyper-parameters.
        on_step: Called as ``on_step(step, total_steps, last_logs)`` after each optimizer step.

    Returns:
        A summary: examples, dropped, steps, seconds, final loss, whether training finished or hit the time limit.
    """
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig

    from rrm_gym.distill.prefix_trainer import prefix_trainer_class, system_prefix_ids

    hf_logging.disable_progress_bar()

    if settings.threads:
        torch.set_num_threads(settings.threads)
    began = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(base_model))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    examples, dropped = tokenize_records(records, tokenizer, settings.max_trajectory_tokens, settings.max_length)
    if not examples:
        raise ValueError("no training example left (every teacher judgement failed, or all are over max_length)")
    per_step = settings.batch_size * settings.grad_accum
    total = settings.max_steps or max(1, math.ceil(len(examples) * settings.epochs / per_step))
    model = AutoModelForCausalLM.from_pretrained(str(base_model), dtype=torch.float32)
    from rrm_gym._warnings import quiet_third_party_deprecations

    with quiet_third_party_deprecations():  # trl's config sets transformers' deprecated gradient_checkpointing
        args = SFTConfig(
            output_dir=str(work_dir), max_steps=total, per_device_train_batch_size=settings.batch_size,
            gradient_accumulation_steps=settings.grad_accum, learning_rate=settings.learning_rate,
            lr_scheduler_type="cosine", warmup_steps=max(1, total // 20), weight_decay=0.0, logging_steps=1,
            save_strategy="steps", save_steps=settings.save_steps, save_total_limit=2, report_to=[],
            use_cpu=not torch.cuda.is_available(), seed=settings.seed, data_seed=settings.seed, disable_tqdm=True,
            max_length=None, dataloader_num_workers=0, remove_unused_columns=True, bf16=_bf16(settings.bf16),
            **_no_checkpointing(SFTConfig),
        )
    layers = int(getattr(model.config, "num_hidden_layers", 0) or 0)
    top = None
    if settings.lora_layers and layers and settings.lora_layers < layers:
        top = list(range(layers - settings.lora_layers, layers))
    peft = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
                      layers_to_transform=top, task_type="CAUSAL_LM")
    with quiet_third_party_deprecations():  # peft/trl read transformers' deprecated is_gradient_checkpointing
        trainer = prefix_trainer_class()(model=model, args=args, train_dataset=Dataset.from_list(examples),
                                         processing_class=tokenizer, peft_config=peft,
                                         callbacks=[_callback(total, on_step, settings.time_limit_s)])
    if settings.prefix_cache:
        trainer.prefix_ids = system_prefix_ids(tokenizer)
    trainer.remove_callback(PrinterCallback)  # the progress callback reports instead of printed log dicts
    resume = latest_checkpoint(work_dir)
    with quiet_third_party_deprecations():
        result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    step = int(trainer.state.global_step)
    finished = step >= total
    merged = trainer.model.merge_and_unload()
    out = Path(out_dir)
    merged.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    summary = {"examples": len(examples), "dropped_over_max_length": dropped, "steps": step, "total_steps": total,
               "finished": finished, "seconds": time.perf_counter() - began, "first_loss": losses[0] if losses
               else None, "final_loss": losses[-1] if losses else None, "train_runtime": result.metrics.get(
               "train_runtime"), "base_model": str(base_model), "settings": settings.__dict__,
               "resumed_from": str(resume) if resume else None}
    write_json(out / "distill.json", summary)
    return summary
