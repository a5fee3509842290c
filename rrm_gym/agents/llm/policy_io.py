"""Saving and loading :class:`~rrm_gym.agents.llm.policy.LLMPolicy` weights.

A saved policy is a folder with the LoRA adapter, the value head and ``policy.json`` (the base model and the
settings needed to rebuild the policy).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

__all__ = ["save_policy", "load_policy_weights", "policy_kwargs"]

META_FILE = "policy.json"
_MODE_SETTINGS = ("action_mode", "choice_norm", "choice_temperature", "history_turns", "max_observation_chars",
                  "system_prompt", "prompt_grad")


def save_policy(policy: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``adapter/`` (or ``model/`` without LoRA), ``value_head.pt`` and ``policy.json`` to ``path``."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    if policy.has_adapter:
        policy.model.save_pretrained(folder / "adapter")
    else:
        policy.model.save_pretrained(folder / "model")
        policy.tokenizer.save_pretrained(folder / "model")
    if policy.value_head is not None:
        torch.save(policy.value_head.state_dict(), folder / "value_head.pt")
    meta = {"model": policy.model_path, "lora": policy.lora_settings, "value_head": policy.value_head is not None,
            "value_inner_size": policy.value_inner_size, "max_prompt_tokens": policy.max_prompt_tokens,
            "max_new_tokens": policy.max_new_tokens, "temperature": policy.temperature, "top_p": policy.top_p,
            **{k: getattr(policy, k) for k in _MODE_SETTINGS},
            "mixed_precision": policy.mixed_precision}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2))
    return folder


def load_policy_weights(policy: Any, path: str | os.PathLike[str]) -> None:
    """Load the adapter and value head written by :func:`save_policy` into ``policy`` (same architecture)."""
    folder = Path(path)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(f"{folder} has no {META_FILE}; it was not written by LLMPolicy.save")
    if policy.has_adapter:
        from peft import set_peft_model_state_dict
        from peft.utils import load_peft_weights

        if not (folder / "adapter").is_dir():
            raise FileNotFoundError(f"{folder / 'adapter'} is missing (was the policy saved without LoRA?)")
        set_peft_model_state_dict(policy.model, load_peft_weights(str(folder / "adapter"), device=str(policy.device)))
    if policy.value_head is not None and (folder / "value_head.pt").is_file():
        policy.value_head.load_state_dict(torch.load(folder / "value_head.pt", map_location=policy.device))


def policy_kwargs(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Constructor arguments of the policy saved in ``path``."""
    folder = Path(path)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(f"{folder} has no {META_FILE}; it was not written by LLMPolicy.save")
    meta = json.loads((folder / META_FILE).read_text())
    lora = meta.get("lora")
    kwargs: dict[str, Any] = {
        "model": meta["model"] if lora else str(folder / "model"), "lora": bool(lora),
        "value_head": meta.get("value_head", True), "value_inner_size": meta.get("value_inner_size", 128),
        "max_prompt_tokens": meta.get("max_prompt_tokens", 1024), "max_new_tokens": meta.get("max_new_tokens", 32),
        "temperature": meta.get("temperature", 0.7), "top_p": meta.get("top_p", 1.0),
        # policies saved before the choose mode existed generated free text
        "action_mode": meta.get("action_mode", "generate"),
        **{k: meta[k] for k in _MODE_SETTINGS if k in meta and k != "action_mode"},
    }
    if "mixed_precision" in meta:
        kwargs["mixed_precision"] = bool(meta["mixed_precision"])
    if lora:
        layers = lora.get("layers")
        kwargs.update(lora_r=lora["r"], lora_alpha=lora["alpha"], lora_dropout=lora["dropout"],
                      target_modules=lora["target_modules"], lora_layers=len(layers) if layers else None)
    return kwargs
