"""Reuse of the frozen bottom layers: with LoRA on the top layers only, the hidden states below them never change.

When :class:`~rrm_gym.agents.llm.policy.LLMPolicy` adapts only the top ``L - k`` decoder layers, the output of layer
``k - 1`` for a given token sequence is the same for the policy, the reference policy (adapter disabled) and every
update epoch. :class:`FrozenSplit` captures those hidden states while generating (the prefill and every decode step
compute them anyway) and later runs only the top layers from them, so an update never recomputes the bottom ``k``
layers: the reference pass and each epoch cost ``(L - k) / L`` of a full forward.

It works by running the decoder with a temporary ``layers`` list (the top layers) on ``inputs_embeds`` = the cached
states, which is exact for decoders whose forward does nothing to ``inputs_embeds`` besides the layers (Llama,
Mistral, Qwen2/3, SmolLM...). :meth:`FrozenSplit.verify` checks this on a tiny input once; models that fail it (e.g.
Gemma, which rescales embeddings) fall back to full forward passes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

__all__ = ["FrozenSplit"]


class FrozenSplit:
    """Capture and reuse the hidden states after the first ``k`` (frozen) decoder layers.

    Args:
        decoder: The decoder (``model.get_decoder()``), with ``layers`` and ``norm`` attributes.
        k: Number of frozen bottom layers (``>= 1``).

    Example:
        >>> from rrm_gym.agents.llm.policy import LLMPolicy
        >>> policy = LLMPolicy(lora_layers=4)  # doctest: +SKIP
        >>> policy.frozen.k, policy.frozen.enabled  # doctest: +SKIP
        (26, True)
    """

    def __init__(self, decoder: Any, k: int) -> None:
        self.decoder = decoder
        self.k = k
        self.enabled = k >= 1 and hasattr(decoder, "layers") and hasattr(decoder, "norm") and k < len(decoder.layers)

    @contextmanager
    def _layers(self, part: slice, final_norm: bool = True) -> Iterator[None]:
        full, norm = self.decoder.layers, self.decoder.norm
        self.decoder.layers = torch.nn.ModuleList(list(full)[part])
        if not final_norm:
            self.decoder.norm = torch.nn.Identity()
        try:
            yield
        finally:
            self.decoder.layers = full
            self.decoder.norm = norm

    @torch.no_grad()
    def verify(self, device: torch.device) -> bool:
        """Check bottom-then-top equals a full forward on a tiny input; disable the split if not."""
        if not self.enabled:
            return False
        try:
            ids = torch.tensor([[1, 5, 9, 200, 31, 7]], device=device)
            attn = torch.ones_like(ids)
            full = self.decoder(input_ids=ids, attention_mask=attn, use_cache=False).last_hidden_state
            with self._layers(slice(0, self.k), final_norm=False):
                low = self.decoder(input_ids=ids, attention_mask=attn, use_cache=False).last_hidden_state
            top = self.top(low, attn, (attn.cumsum(-1) - 1))
            self.enabled = bool(torch.allclose(full.float(), top.float(), atol=1e-3, rtol=1e-3))
        except Exception:  # noqa: BLE001 - any architecture surprise means: do not use the split
            self.enabled = False
        return self.enabled

    def cast_bottom(self, dtype: torch.dtype) -> None:
        """Keep the frozen layers in ``dtype`` (e.g. bfloat16 on CPUs with native bf16: twice the speed).

        Only :meth:`bottom` may run them afterwards (a plain forward of the whole model would mix dtypes); the
        adapted layers, the embeddings and the LM head keep their dtype, so gradients stay in full precision.
        """
        if self.enabled:
            for layer in list(self.decoder.layers)[: self.k]:
                layer.to(dtype)
            self.bottom_dtype = dtype

    @torch.no_grad()
    def bottom(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor
               ) -> torch.Tensor:
        """States after the frozen layers (the embeddings when there are none), without gradient.

        They come back in the dtype of the embeddings (the model's dtype), whatever :meth:`cast_bottom` chose.
        """
        embeds = self.decoder.embed_tokens(input_ids)
        if not self.enabled:
            return embeds
        dtype = getattr(self, "bottom_dtype", embeds.dtype)
        with self._layers(slice(0, self.k), final_norm=False):
            out = self.decoder(inputs_embeds=embeds.to(dtype), attention_mask=attention_mask,
                               position_ids=position_ids, use_cache=False).last_hidden_state
        return out.to(embeds.dtype)

    def top_from(self, states: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor
                 ) -> torch.Tensor:
        """:meth:`top` when the split is on; the whole decoder from ``states`` (embeddings) when it is off."""
        if self.enabled:
            return self.top(states, attention_mask, position_ids)
        return self.decoder(inputs_embeds=states, attention_mask=attention_mask, position_ids=position_ids,
                            use_cache=False).last_hidden_state

    def top(self, states: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        """Run the top layers and the final norm from the frozen states; returns the last hidden state."""
        with self._layers(slice(self.k, None)):
            out = self.decoder(inputs_embeds=states, attention_mask=attention_mask, position_ids=position_ids,
                               use_cache=False)
        return out.last_hidden_state

    @contextmanager
    def capture(self) -> Iterator[list[torch.Tensor]]:
        """Record the output of layer ``k - 1`` at every forward call (prefill, then each decode step)."""
        captured: list[torch.Tensor] = []

        def hook(_module: Any, _args: Any, output: Any) -> None:
            captured.append((output[0] if isinstance(output, tuple) else output).detach())

        handle = self.decoder.layers[self.k - 1].register_forward_hook(hook)
        try:
            yield captured
        finally:
            handle.remove()

    @staticmethod
    def rows(captured: list[torch.Tensor], width: int, prompts: Sequence[Sequence[int]],
             actions: Sequence[Sequence[int]]) -> list[torch.Tensor] | None:
        """Per row, the states of the prompt and of all action tokens but the last (a scoring pass's inputs).

        Returns ``None`` when the capture does not have the expected shape.
        """
        if not captured:
            return None
        states = torch.cat(captured, dim=1)
        if states.shape[0] != len(prompts) or states.shape[1] < width:
            return None
        out = []
        for r, (p, a) in enumerate(zip(prompts, actions, strict=True)):
            end = width + len(a) - 1
            if end > states.shape[1]:
                return None
            out.append(states[r, width - len(p) : end].clone())
        return out

    @staticmethod
    def layout(rows: Sequence[torch.Tensor], prompts: Sequence[Sequence[int]], p_width: int,
               length: int) -> torch.Tensor:
        """Place per-row states into ``[batch, length, hidden]`` with every action starting at ``p_width``."""
        first = rows[0]
        out = torch.zeros((len(rows), length, first.shape[-1]), dtype=first.dtype, device=first.device)
        for r, (state, p) in enumerate(zip(rows, prompts, strict=True)):
            out[r, p_width - len(p) : p_width - len(p) + state.shape[0]] = state
        return out
