"""``llm``: attempts sampled from a local causal LM (default the bundled SmolLM2-135M-Instruct), free text.

The model reads the env's first observation and the observations that follow as a chat and writes each action
(sampled, temperature 0.7 by default). Small models make every kind of mistake real agents make, which is the
point: these attempts are what a judge will see in training. torch and transformers are imported when the policy
starts; the model is loaded once per process and folder.
"""

from __future__ import annotations

import random
from typing import Any

from rrm_gym.distill.policies import Policy

__all__ = ["LLMPolicy"]

_MODELS: dict[str, tuple[Any, Any]] = {}
_SYSTEM = ("You are an agent that solves tasks with tools. Reply with exactly one action per turn: a tool call "
           "such as `click: <button>` / `search: <query>` / `open: <title>`, or the final answer as \\boxed{answer}.")


class LLMPolicy(Policy):
    """Sample actions from a Hugging Face causal LM.

    Args:
        model: Model folder (``None``: the bundled SmolLM2-135M-Instruct).
        temperature: Sampling temperature (0: greedy).
        max_new_tokens: Tokens per action.
        max_context_tokens: The chat is cut to its last this many tokens (the first observation is kept).

    Example:
        >>> LLMPolicy(max_new_tokens=8).name  # the model loads when an episode starts
        'llm'
    """

    name = "llm"

    def __init__(self, model: str | None = None, temperature: float = 0.7, max_new_tokens: int = 48,
                 max_context_tokens: int = 1536) -> None:
        self.model_path = model
        self.temperature = float(temperature)
        self.max_new_tokens = int(max_new_tokens)
        self.max_context_tokens = int(max_context_tokens)

    def _load(self) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from rrm_gym.models import resolve_model_path

        path = resolve_model_path(self.model_path)
        if path not in _MODELS:
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path)
            model.eval()
            _MODELS[path] = (tokenizer, model)
        return _MODELS[path]

    def start(self, env: Any, observation: str, info: dict[str, Any], rng: random.Random) -> None:
        """Begin a chat with the first observation."""
        super().start(env, observation, info, rng)
        self.tokenizer, self.model = self._load()
        self.messages = [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": observation}]
        self.first = True

    def act(self, observation: str, info: dict[str, Any]) -> str | None:
        """Sample the next action."""
        import torch

        if not self.first:
            self.messages.append({"role": "user", "content": observation})
        self.first = False
        ids = self.tokenizer.apply_chat_template(self.messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)["input_ids"]
        if ids.shape[1] > self.max_context_tokens:
            ids = ids[:, -self.max_context_tokens :]
        torch.manual_seed(self.rng.randrange(2**31))
        params: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": self.temperature > 0,
                                  "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}
        if self.temperature > 0:
            params["temperature"] = self.temperature
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **params)
        text = self.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip() or "\\boxed{}"
        self.messages.append({"role": "assistant", "content": text})
        return text
