"""A TRL ``SFTTrainer`` that computes the shared system prompt once per optimizer step (stop-gradient prefix).

Every judge example starts with the same Agent-RRM system block, about a third of its tokens. The ``hf`` judge
computes that block's key/value cache once and reuses it; this trainer does the same in training: at each
optimizer step it runs the system block through the current (LoRA-adapted) model without gradients and feeds only
the rest of each example, on top of a copy of that cache. The forward pass — hence the loss — is the same as on the
whole sequence (up to float rounding); the gradient leaves out how the adapters change the system block's keys and
values. On a CPU that is about a third less work per example.

Examples that do not start with the prefix, and evaluation, take the plain path.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

__all__ = ["system_prefix_ids", "prefix_trainer_class"]


def system_prefix_ids(tokenizer: Any) -> list[int]:
    """Token ids of the chat-template system block every judge prompt starts with (as the ``hf`` judge computes)."""
    from rrm_gym.judges.prompt import SYSTEM_PROMPT

    text = tokenizer.apply_chat_template([{"role": "system", "content": SYSTEM_PROMPT}], tokenize=False)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def prefix_trainer_class() -> type:
    """The ``SFTTrainer`` subclass (built on first use: trl and torch are imported lazily)."""
    import torch
    from trl import SFTTrainer

    class PrefixSFTTrainer(SFTTrainer):
        """``SFTTrainer`` with a stop-gradient shared prefix; set ``prefix_ids`` after construction."""

        prefix_ids: list[int] | None = None

        def _prefix_cache(self, model: Any, device: Any) -> Any:
            step = int(self.state.global_step)
            if getattr(self, "_cache_step", None) != step:
                decoder = self.accelerator.unwrap_model(model).get_base_model().get_decoder()
                ids = torch.tensor([self.prefix_ids], device=device)
                with torch.no_grad():
                    out = decoder(input_ids=ids, use_cache=True)
                self._cache = out.get("cache") if out.get("cache") is not None else out.get("past_key_values")
                params = inspect.signature(decoder.forward).parameters
                self._cache_arg = "cache" if "cache" in params else "past_key_values"
                self._cache_step = step
            return self._cache

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            ids = inputs.get("input_ids")
            p = len(self.prefix_ids or ())
            usable = (p and self.model.training and ids is not None and ids.shape[1] > p + 1
                      and "position_ids" not in inputs and bool((ids[:, :p] == torch.tensor(
                          self.prefix_ids, device=ids.device)).all()))
            if not usable:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            cache = copy.deepcopy(self._prefix_cache(model, ids.device))
            if ids.shape[0] > 1:
                cache.batch_repeat_interleave(ids.shape[0])
            rest = dict(inputs)
            rest["input_ids"] = ids[:, p:]
            rest["labels"] = inputs["labels"][:, p:]  # the first rest token is a prompt token: never a target
            rest[self._cache_arg] = cache
            rest["position_ids"] = torch.arange(p, ids.shape[1], device=ids.device).expand(ids.shape[0], -1)
            return super().compute_loss(model, rest, return_outputs, num_items_in_batch)

    return PrefixSFTTrainer
