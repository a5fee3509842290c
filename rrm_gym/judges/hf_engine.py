"""Continuous batching for the ``hf`` judge: a finished reply's slot takes the next request at once.

A static batch lasts as long as its longest reply; with real, uneven replies most rows idle. This engine keeps up
to ``slots`` replies decoding together and, as soon as one ends (end-of-sequence, a stop string such as
``</score>``, or ``max_new_tokens``), prefills the next waiting request into the freed slot. Each decode step is one
forward pass of the Hugging Face model over every active row.

Layout: the rows share one key/value cache of length ``L``; each row is ``[left padding][its tokens]``, the padding
masked out, with its own position ids, so a new request (prefilled alone, on top of the shared system-prompt cache
when there is one) joins by left-padding it, or the others, to a common length. Finished rows leave, and columns
that are padding for every row are trimmed. Prefill runs one request at a time: it is compute-bound, so batching
it buys nothing, and alone it computes exactly what the one-by-one path computes.

Greedy decoding gives the same tokens as ``model.generate`` request by request (up to floating-point rounding of
batched kernels); sampling uses the same temperature / top-k / top-p rule as ``generate``. Settings the engine does
not know are refused by :func:`sampling_from`, and the caller falls back to ``generate``.

torch is imported lazily (inside the functions), like every heavy dependency of rrm-gym.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["Sampling", "sampling_from", "ContinuousBatcher", "SUPPORTED_KWARGS"]

SUPPORTED_KWARGS = frozenset(
    {"max_new_tokens", "min_new_tokens", "do_sample", "temperature", "top_k", "top_p", "stop_strings",
     "eos_token_id", "pad_token_id", "tokenizer"}
)


@dataclass(frozen=True)
class Sampling:
    """How replies are decoded and when they end.

    Attributes:
        max_new_tokens: Tokens per reply at most.
        min_new_tokens: End-of-sequence is suppressed before this many tokens.
        do_sample: Sample (else greedy).
        temperature: Sampling temperature.
        top_k: Keep the ``top_k`` most likely tokens when sampling (0: all).
        top_p: Nucleus sampling mass (1.0: all).
        eos_ids: Tokens that end a reply (kept in the reply, like ``generate``).
        stop_strings: A reply ends with the token that completes one of these.
    """

    max_new_tokens: int
    min_new_tokens: int = 0
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    eos_ids: tuple[int, ...] = ()
    stop_strings: tuple[str, ...] = ()


def sampling_from(params: dict[str, Any], generation_config: Any) -> Sampling | None:
    """The :class:`Sampling` that ``model.generate(**params)`` would use.

    Returns ``None`` if ``params`` hold settings the engine does not implement (repetition penalty, beams, ...).
    """
    if not set(params) <= SUPPORTED_KWARGS:
        return None
    eos = params.get("eos_token_id", getattr(generation_config, "eos_token_id", None))
    eos_ids = () if eos is None else ((int(eos),) if isinstance(eos, int) else tuple(int(e) for e in eos))
    do_sample = bool(params.get("do_sample", getattr(generation_config, "do_sample", False)))
    top_k = params.get("top_k", getattr(generation_config, "top_k", 50))
    top_p = params.get("top_p", getattr(generation_config, "top_p", 1.0))
    stops = params.get("stop_strings") or ()
    return Sampling(
        max_new_tokens=int(params["max_new_tokens"]),
        min_new_tokens=int(params.get("min_new_tokens") or getattr(generation_config, "min_new_tokens", 0) or 0),
        do_sample=do_sample,
        temperature=float(params.get("temperature") or 1.0),
        top_k=int(top_k or 0),
        top_p=float(1.0 if top_p is None else top_p),
        eos_ids=eos_ids,
        stop_strings=(stops,) if isinstance(stops, str) else tuple(stops),
    )


class _Row:
    """One reply in progress."""

    __slots__ = ("index", "tokens", "position")

    def __init__(self, index: int, position: int) -> None:
        self.index = index
        self.tokens: list[int] = []
        self.position = position  # position id of the next token fed to the model


class ContinuousBatcher:
    """Decode many prompts with up to ``slots`` replies in flight, refilling a slot as soon as its reply ends.

    Args:
        model: A Hugging Face causal LM (in eval mode).
        tokenizer: Its tokenizer (to detect stop strings).
        sampling: Decoding settings (see :func:`sampling_from`).
        slots: Replies decoded together at most.
        prefix: ``(token ids, key/value cache, cache argument name)`` of a prefix every prompt starts with, computed
            once (the judge's system prompt); ``None`` to prefill whole prompts.
        cache_arg: Name of the model's cache argument (``"cache"`` or ``"past_key_values"``) when there is no prefix.

    Example:
        >>> engine = ContinuousBatcher(model, tokenizer, Sampling(max_new_tokens=16), slots=8)  # doctest: +SKIP
        >>> replies = engine.generate([[1, 2, 3], [1, 2]])  # token ids per prompt, in order  # doctest: +SKIP
    """

    def __init__(self, model: Any, tokenizer: Any, sampling: Sampling, slots: int,
                 prefix: tuple[list[int], Any, str] | None = None, cache_arg: str = "past_key_values") -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        import torch

        self._torch = torch
        self.model, self.tokenizer, self.sampling, self.slots = model, tokenizer, sampling, int(slots)
        self.prefix = prefix
        self.cache_arg = prefix[2] if prefix is not None else cache_arg
        self.device = next(model.parameters()).device
        import inspect

        # like generate: only the last position's logits are needed (saves the vocabulary projection in prefill)
        self._keep = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
        self.stats: dict[str, float] = {"prefills": 0, "decode_steps": 0, "row_steps": 0, "prefill_s": 0.0,
                                        "decode_s": 0.0}

    # ------------------------------------------------------------------ public
    def generate(self, prompts: list[list[int]]) -> list[list[int]]:
        """The reply token ids of every prompt, in order (an end-of-sequence token, if any, is the last)."""
        torch = self._torch
        out: list[list[int]] = [[] for _ in prompts]
        waiting = list(range(len(prompts)))[::-1]  # pop() takes them in order
        rows: list[_Row] = []
        cache: Any = None
        mask: Any = None
        with torch.inference_mode():
            while waiting or rows:
                joining: list[tuple[_Row, Any]] = []
                while waiting and len(rows) + len(joining) < self.slots:  # refill free slots
                    i = waiting.pop()
                    began = time.perf_counter()
                    row, row_cache, token = self._prefill(i, prompts[i])
                    self.stats["prefill_s"] += time.perf_counter() - began
                    row.tokens.append(token)
                    if self._done(row):
                        out[i] = row.tokens
                    else:
                        joining.append((row, row_cache))
                if joining:  # one copy of the batch cache for all the rows that join
                    cache, mask = self._join(cache, mask, [(c, row.position) for row, c in joining])
                    rows.extend(row for row, _ in joining)
                if not rows:
                    continue
                began = time.perf_counter()
                tokens, mask = self._decode(rows, cache, mask)
                self.stats["decode_s"] += time.perf_counter() - began
                keep = []
                for k, (row, token) in enumerate(zip(rows, tokens, strict=True)):
                    row.position += 1
                    row.tokens.append(token)
                    if self._done(row):
                        out[row.index] = row.tokens
                    else:
                        keep.append(k)
                if len(keep) < len(rows):
                    rows = [rows[k] for k in keep]
                    cache, mask = self._select(cache, mask, keep)
        return out

    # ------------------------------------------------------------------ steps
    def _prefill(self, index: int, prompt: list[int]) -> tuple[_Row, Any, int]:
        """Run one prompt (after the shared prefix); its row, its cache and its first reply token."""
        torch = self._torch
        self.stats["prefills"] += 1
        start, extra = 0, {}
        if self.prefix is not None and len(prompt) > len(self.prefix[0]) and prompt[: len(self.prefix[0])] == \
                self.prefix[0]:
            start = len(self.prefix[0])
            extra = {self.cache_arg: copy.deepcopy(self.prefix[1])}
        ids = torch.tensor([prompt[start:]], dtype=torch.long, device=self.device)
        mask = torch.ones((1, len(prompt)), dtype=torch.long, device=self.device)
        positions = torch.arange(start, len(prompt), device=self.device)[None, :]
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, **extra,
                         **self._keep)
        row = _Row(index, len(prompt))
        return row, self._cache_of(out), self._choose(out.logits[:, -1, :], [row])[0]

    def _decode(self, rows: list[_Row], cache: Any, mask: Any) -> tuple[list[int], Any]:
        """One forward pass over every active row: their next tokens, and the mask with the new column."""
        torch = self._torch
        self.stats["decode_steps"] += 1
        self.stats["row_steps"] += len(rows)
        ids = torch.tensor([[r.tokens[-1]] for r in rows], dtype=torch.long, device=self.device)
        positions = torch.tensor([[r.position] for r in rows], dtype=torch.long, device=self.device)
        full = torch.cat([mask, torch.ones((len(rows), 1), dtype=mask.dtype, device=mask.device)], dim=1)
        out = self.model(input_ids=ids, attention_mask=full, position_ids=positions, use_cache=True,
                         **{self.cache_arg: cache}, **self._keep)
        returned = self._cache_of(out)
        if returned is not cache:  # models update the cache object in place; adopt it if one did not
            self._adopt(cache, returned)
        return self._choose(out.logits[:, -1, :], rows), full

    def _choose(self, logits: Any, rows: list[_Row]) -> list[int]:
        """Next token per row, as ``generate`` picks it (float32 scores, min-length EOS suppression, sampling)."""
        torch = self._torch
        s = self.sampling
        scores = logits.to(dtype=torch.float32)
        if s.min_new_tokens and s.eos_ids:
            short = [k for k, r in enumerate(rows) if len(r.tokens) < s.min_new_tokens]
            if short:
                eos = torch.tensor(s.eos_ids, device=scores.device)
                scores[torch.tensor(short, device=scores.device)[:, None], eos[None, :]] = -float("inf")
        if not s.do_sample:
            return scores.argmax(dim=-1).tolist()
        if s.temperature != 1.0:
            scores = scores / s.temperature
        if s.top_k and s.top_k < scores.shape[-1]:
            threshold = torch.topk(scores, s.top_k).values[..., -1, None]
            scores = scores.masked_fill(scores < threshold, -float("inf"))
        if s.top_p < 1.0:
            ordered, order = torch.sort(scores, descending=False)
            cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
            drop = cumulative <= (1 - s.top_p)
            drop[..., -1:] = False
            scores = scores.masked_fill(drop.scatter(1, order, drop), -float("inf"))
        return torch.multinomial(scores.softmax(dim=-1), num_samples=1)[:, 0].tolist()

    def _done(self, row: _Row) -> bool:
        s = self.sampling
        if len(row.tokens) >= s.max_new_tokens:
            return True
        if row.tokens[-1] in s.eos_ids and len(row.tokens) >= s.min_new_tokens:
            return True
        if s.stop_strings:
            tail = self.tokenizer.decode(row.tokens[-16:])
            head = self.tokenizer.decode(row.tokens[-16:-1]) if len(row.tokens) > 1 else ""
            return any(stop in tail and stop not in head for stop in s.stop_strings)
        return False

    # ------------------------------------------------------------------ the shared cache
    def _cache_of(self, out: Any) -> Any:
        cache = out.get("cache") if hasattr(out, "get") else None
        return cache if cache is not None else out.past_key_values

    @staticmethod
    def _layers(cache: Any) -> list[Any]:
        return list(cache.layers)

    def _own(self, cache: Any) -> Any:
        """Give the cache layers that append in place (``_SlotLayer``) instead of concatenating every step."""
        layer_type = _slot_layer_type()
        if layer_type is not None:
            for k, layer in enumerate(cache.layers):
                if not isinstance(layer, layer_type):
                    cache.layers[k] = layer_type.of(layer.keys, layer.values)
        return cache

    @staticmethod
    def _set(layer: Any, keys: Any, values: Any) -> None:
        if hasattr(layer, "assign"):
            layer.assign(keys, values)
        else:
            layer.keys, layer.values = keys, values

    def _adopt(self, cache: Any, returned: Any) -> None:
        for mine, theirs in zip(self._layers(cache), self._layers(returned), strict=True):
            self._set(mine, theirs.keys, theirs.values)

    def _join(self, cache: Any, mask: Any, new: list[tuple[Any, int]]) -> tuple[Any, Any]:
        """Add prefilled rows (``(cache, positions it holds)`` each) to the batch, left-padding to a common length."""
        torch = self._torch
        width = max(0 if mask is None else mask.shape[1], *(length for _, length in new))
        sources = [] if cache is None else [(cache, mask)]
        sources += [(c, torch.ones((1, length), dtype=torch.long, device=self.device)) for c, length in new]
        target = cache if cache is not None else self._own(new[0][0])
        layers = [self._layers(c) for c, _ in sources]
        for k, layer in enumerate(self._layers(target)):
            keys = torch.cat([self._padded(ls[k].keys, width, 2) for ls in layers], dim=0)
            values = torch.cat([self._padded(ls[k].values, width, 2) for ls in layers], dim=0)
            self._set(layer, keys, values)
        return target, torch.cat([self._padded(m, width, 1) for _, m in sources], dim=0)

    def _padded(self, tensor: Any, width: int, dim: int) -> Any:
        """``tensor`` with zeros prepended along ``dim`` up to ``width`` (masked-out positions)."""
        missing = width - tensor.shape[dim]
        if missing == 0:
            return tensor
        shape = list(tensor.shape)
        shape[dim] = missing
        return self._torch.cat([tensor.new_zeros(shape), tensor], dim=dim)

    def _select(self, cache: Any, mask: Any, keep: list[int]) -> tuple[Any, Any]:
        """Keep the rows ``keep``; drop the leading columns that are padding for all of them."""
        torch = self._torch
        if not keep:
            return None, None
        index = torch.tensor(keep, dtype=torch.long, device=self.device)
        mask = mask[index]
        first = int(mask.any(dim=0).to(torch.int8).argmax())
        for layer in self._layers(cache):
            self._set(layer, layer.keys[index, :, first:], layer.values[index, :, first:])
        return cache, mask[:, first:]


_SLOT_LAYER: list[Any] = []


def _slot_layer_type() -> Any:
    """``_SlotLayer``: a ``DynamicLayer`` that writes new keys/values into spare capacity instead of concatenating.

    ``DynamicLayer.update`` copies the whole cache every step (``torch.cat``); with many rows that copy costs as much
    as a good part of the forward pass. ``None`` if this transformers has no ``DynamicLayer``.
    """
    if not _SLOT_LAYER:
        try:
            from transformers.cache_utils import DynamicLayer
        except ImportError:  # pragma: no cover - older transformers: plain layers
            _SLOT_LAYER.append(None)
            return None

        class _SlotLayer(DynamicLayer):
            spare = 64  # positions allocated ahead

            @classmethod
            def of(cls, keys: Any, values: Any) -> _SlotLayer:
                layer = cls()
                layer.device = keys.device
                layer.is_initialized = True
                layer.assign(keys, values)
                return layer

            def assign(self, keys: Any, values: Any) -> None:
                """Hold these keys/values (copied into a buffer with spare positions)."""
                b, h, length, d = keys.shape
                self._k = keys.new_empty((b, h, length + self.spare, d))
                self._v = values.new_empty((b, values.shape[1], length + self.spare, values.shape[3]))
                self._k[:, :, :length] = keys
                self._v[:, :, :length] = values
                self._length = length
                self.keys, self.values = self._k[:, :, :length], self._v[:, :, :length]

            def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
                new = key_states.shape[-2]
                end = self._length + new
                if end > self._k.shape[2] or key_states.shape[0] != self._k.shape[0]:
                    import torch

                    self.assign(torch.cat([self.keys, key_states], dim=-2), torch.cat([self.values, value_states],
                                                                                      dim=-2))
                    return self.keys, self.values
                self._k[:, :, self._length:end] = key_states
                self._v[:, :, self._length:end] = value_states
                self._length = end
                self.keys, self.values = self._k[:, :, :end], self._v[:, :, :end]
                return self.keys, self.values

        _SLOT_LAYER.append(_SlotLayer)
    return _SLOT_LAYER[0]
