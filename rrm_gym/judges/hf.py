"""``HFJudge``: an Agent-RRM judge run in-process with Hugging Face transformers, with batched generation.

torch and transformers are imported inside :class:`HFJudge`, never at module import. Prompts are built with the
model's chat template and generated with continuous batching (:mod:`rrm_gym.judges.hf_engine`): up to
``batch_size`` replies decode together and a finished reply's slot takes the next request at once, so a batch no
longer lasts as long as its longest reply; each reply stops at ``</score>``. Settings the engine does not implement
(and ``engine="generate"``) use ``model.generate`` on batches of ``batch_size`` sorted by length instead.

The system prompt is the same for every request, so its key/value cache is computed once and shared: the engine
prefills each user part on top of it, and a ``generate`` batch is laid out as ``[system prompt][padding][user
part]`` with the padding masked out and position ids that skip it, so only the user parts are run through the model.
A reply that stops before its score (small models often ramble until the budget) is finished by the same model: its
open blocks are closed, ``<score>`` is opened and a few more tokens are generated (``score_fallback``). A reply that
still does not parse becomes an ``ok=False`` judgement; a failed generation becomes ``ok=False`` judgements for its
batch. Nothing raises.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from rrm_gym.judges.parser import parse_judgement, score_prefix
from rrm_gym.judges.prompt import SYSTEM_PROMPT, build_messages
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["HFJudge"]


class HFJudge:
    """Judge with a local causal LM (any Hugging Face folder or hub id already on disk).

    Args:
        model: Path of a model folder; ``None`` (or ``"smollm2"``) is the bundled SmolLM2-135M-Instruct.
        max_new_tokens: Generation budget per judgement.
        batch_size: Replies decoded together (continuous batching slots; ``generate`` batch size).
        temperature: 0 for greedy decoding, > 0 to sample.
        device: ``"cpu"``, ``"cuda"``, ...; default CUDA when available, else CPU.
        max_trajectory_tokens: Token budget of the serialised trajectory, counted with the model's tokenizer.
        dtype: Optional torch dtype name (``"bfloat16"``, ...); default the checkpoint's.
        prefix_cache: Compute the key/value cache of the system prompt (the same for every request) once and reuse
            it for every batch, so only the user part is processed per request. Falls back to plain batches for
            models whose chat template does not start with a separable system block.
        model_kwargs: Extra arguments for ``AutoModelForCausalLM.from_pretrained`` (e.g.
            ``{"attn_implementation": "eager"}``).
        generation_kwargs: Extra arguments for ``generate`` (e.g. ``{"top_p": 0.9}`` or ``{"min_new_tokens": 64}``).
        stop_strings: A reply ends with the token that completes one of these (default ``</score>``: the Agent-RRM
            reply is over); stored in ``generation_kwargs`` so it is part of the cache key. ``()`` for none.
        engine: ``"continuous"`` (continuous batching) or ``"generate"`` (``model.generate`` on static batches).
        score_fallback: When a reply has no usable ``<score>`` (it rambled until ``max_new_tokens``, or stopped
            inside an empty ``<score>`` block), close its open ``<critique>``, open ``<score>`` and let the model
            write up to ``score_fallback_tokens`` more tokens: the score then comes from the same model, reading its
            own analysis. The reply is kept verbatim at the start of ``raw``; ``engine_stats["score_fallbacks"]``
            counts these replies and ``engine_stats["score_fallbacks_ok"]`` those that then parsed.
        score_fallback_tokens: Token budget of that completion; it ends at the first tag the model starts, closed
            or cut by the budget (``0.500</sco``), and ``</score>`` is written after it.

    Example:
        >>> from rrm_gym.types import Trajectory
        >>> judge = HFJudge(max_new_tokens=16)  # doctest: +SKIP
        >>> judge([JudgeRequest("q", Trajectory(None, "q"))])[0].judge.startswith("hf:")  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        model: str | None = None,
        max_new_tokens: int = 256,
        batch_size: int = 8,
        temperature: float = 0.0,
        device: str | None = None,
        max_trajectory_tokens: int = 1536,
        dtype: str | None = None,
        prefix_cache: bool = True,
        model_kwargs: dict[str, Any] | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        stop_strings: tuple[str, ...] | list[str] = ("</score>",),
        engine: str = "continuous",
        score_fallback: bool = True,
        score_fallback_tokens: int = 12,
    ) -> None:
        if min(max_new_tokens, batch_size, max_trajectory_tokens, score_fallback_tokens) < 1:
            raise ValueError("max_new_tokens, batch_size, max_trajectory_tokens and score_fallback_tokens must be "
                             "positive")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if engine not in ("continuous", "generate"):
            raise ValueError(f"engine must be 'continuous' or 'generate', got {engine!r}")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from rrm_gym.models import resolve_model_path

        self.model_path = resolve_model_path(model)
        self.max_new_tokens = int(max_new_tokens)
        self.batch_size = int(batch_size)
        self.temperature = float(temperature)
        self.max_trajectory_tokens = int(max_trajectory_tokens)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.name = f"hf:{self.model_path}"
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        kwargs: dict[str, Any] = dict(model_kwargs or {})
        if dtype is not None:
            kwargs["dtype"] = getattr(torch, dtype)
        self.model = AutoModelForCausalLM.from_pretrained(self.model_path, **kwargs).to(self.device)
        self.model.eval()
        self.generation_kwargs = dict(generation_kwargs or {})
        if stop_strings:
            self.generation_kwargs.setdefault("stop_strings", list(stop_strings))
        self.engine = engine
        self.engine_stats: dict[str, float] = {}  # prefills, decode steps, row steps, seconds
        self.engine_error: str | None = None  # why the engine fell back to ``generate``, if it did
        self.score_fallback = bool(score_fallback)
        self.score_fallback_tokens = int(score_fallback_tokens)
        self.prefix_cache = bool(prefix_cache)
        self._prefix: tuple[list[int], Any, str] | bool | None = None

    # ----------------------------------------------------------------- prompt
    def count_tokens(self, text: str) -> int:
        """Number of tokens of ``text`` for this model."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def messages(self, request: JudgeRequest) -> list[dict[str, str]]:
        """The chat messages sent for ``request`` (the reference is never included)."""
        return build_messages(request, self.max_trajectory_tokens, self.count_tokens)

    def cache_key(self, request: JudgeRequest) -> dict[str, Any]:
        """What determines the judgement: the messages, the generation settings and the weights' identity.

        The identity (size and mtime of every weight and config file, see
        :func:`rrm_gym.judges.weights_id.weights_identity`) makes new weights at the same path miss the cache.
        """
        from rrm_gym.judges.weights_id import weights_identity

        params = {"max_new_tokens": self.max_new_tokens, "temperature": self.temperature, **self.generation_kwargs}
        params["dtype"] = str(self.model.dtype)
        if self.score_fallback:
            params["score_fallback_tokens"] = self.score_fallback_tokens
        return {"messages": self.messages(request), "params": params, "weights": weights_identity(self.model_path)}

    def count_prompt_tokens(self, request: JudgeRequest) -> int:
        """Exact prompt length in tokens (chat template included)."""
        return self.count_tokens(self._prompt(self.messages(request)))

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    # ----------------------------------------------------------------- generation
    @property
    def uses_prefix_cache(self) -> bool:
        """Whether the shared system-prompt cache is in use (known after the first call)."""
        return bool(self._prefix)

    def clear_prefix_cache(self) -> None:
        """Forget the system-prompt cache (call after changing the model's weights); it is rebuilt when needed."""
        self._prefix = None

    def _shared_prefix(self) -> tuple[list[int], Any, str] | None:
        """Token ids and KV cache of the system-prompt part every prompt starts with (computed once), or ``None``."""
        if self._prefix is None:
            self._prefix = False
            if self.prefix_cache:
                try:
                    text = self.tokenizer.apply_chat_template(
                        [{"role": "system", "content": SYSTEM_PROMPT}], tokenize=False
                    )
                    ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
                    tensor = self._torch.tensor([ids], device=self.device)
                    with self._torch.inference_mode():
                        out = self.model(input_ids=tensor, use_cache=True)
                    key = "cache" if out.get("cache") is not None else "past_key_values"
                    if out.get(key) is not None and hasattr(out[key], "batch_repeat_interleave"):
                        self._prefix = (ids, out[key], key)
                except Exception:  # noqa: BLE001 - a model or template without a clean prefix: plain batches
                    self._prefix = False
        return self._prefix or None

    def _generate(self, rows: list[list[int]]) -> list[str]:
        """Generate for a batch of token-id rows; rows sharing the system-prompt prefix reuse its KV cache."""
        prefix = self._shared_prefix()
        if prefix is not None and all(len(r) > len(prefix[0]) and r[: len(prefix[0])] == prefix[0] for r in rows):
            try:
                return self._run(*self._prefixed_batch(rows, prefix))
            except Exception:  # noqa: BLE001 - this model/version cannot reuse the cache: plain batches from now on
                self._prefix = False
        enc = self.tokenizer.pad({"input_ids": rows}, padding=True, return_tensors="pt")  # plain left padding
        return self._run(enc["input_ids"], enc["attention_mask"], {})

    def _prefixed_batch(self, rows: list[list[int]], prefix: tuple[list[int], Any, str]) -> tuple[Any, Any, dict]:
        """Rows laid out as ``[prefix][padding][rest]`` (padding masked out) and a copy of the prefix cache."""
        torch = self._torch
        ids_prefix, cache, key = prefix
        p, width = len(ids_prefix), max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        ids[:, :p], mask[:, :p] = torch.tensor(ids_prefix), 1
        for i, row in enumerate(rows):
            rest = row[p:]
            ids[i, width - len(rest) :], mask[i, width - len(rest) :] = torch.tensor(rest), 1
        batch_cache = copy.deepcopy(cache)
        batch_cache.batch_repeat_interleave(len(rows))
        return ids, mask, {key: batch_cache}

    def _generation_params(self) -> dict[str, Any]:
        """The arguments of ``generate`` (and of the continuous-batching engine)."""
        gen: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id}
        gen["do_sample"] = self.temperature > 0
        if self.temperature > 0:
            gen["temperature"] = self.temperature
        gen.update(self.generation_kwargs)
        if gen.get("stop_strings"):
            gen["tokenizer"] = self.tokenizer  # generate needs it to match stop strings
        return gen

    def _continuous(self, rows: list[list[int]]) -> list[str] | None:
        """Replies by continuous batching, or ``None`` when the engine is off or cannot run these settings."""
        from rrm_gym.judges.hf_engine import ContinuousBatcher, sampling_from

        if self.engine != "continuous":
            return None
        sampling = sampling_from(self._generation_params(), self.model.generation_config)
        if sampling is None:
            return None
        prefix = self._shared_prefix()
        import inspect

        arg = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        batcher = ContinuousBatcher(self.model, self.tokenizer, sampling, self.batch_size, prefix=prefix,
                                    cache_arg=arg)
        replies = batcher.generate(rows)
        for key, value in batcher.stats.items():
            self.engine_stats[key] = self.engine_stats.get(key, 0) + value
        return self.tokenizer.batch_decode(replies, skip_special_tokens=True)

    def _run(self, ids: Any, mask: Any, extra: dict[str, Any]) -> list[str]:
        gen = self._generation_params()
        with self._torch.inference_mode():
            out = self.model.generate(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device), **gen, **extra
            )
        return self.tokenizer.batch_decode(out[:, ids.shape[1] :], skip_special_tokens=True)

    def _complete_scores(self, results: list[Judgement | None], prompts: dict[int, list[int]]) -> None:
        """Let the model finish the ``<score>`` of every reply that has none (see ``score_fallback``)."""
        todo: list[tuple[int, str]] = []
        for i, j in enumerate(results):
            if j is not None and not j.ok and i in prompts and j.raw and (prefix := score_prefix(j.raw)) is not None:
                todo.append((i, prefix))
        if not todo:
            return
        self.engine_stats["score_fallbacks"] = self.engine_stats.get("score_fallbacks", 0) + len(todo)
        rows = [prompts[i] + self.tokenizer(prefix, add_special_tokens=False)["input_ids"] for i, prefix in todo]
        budget = self.max_new_tokens
        self.max_new_tokens = self.score_fallback_tokens
        texts: list[str] = []
        spent: dict[int, float] = {}
        try:
            for start in range(0, len(rows), self.batch_size):
                chunk, began = rows[start : start + self.batch_size], time.perf_counter()
                texts += self._generate(chunk)
                for i, _ in todo[start : start + self.batch_size]:
                    spent[i] = (time.perf_counter() - began) / len(chunk)
        except Exception:  # noqa: BLE001 - the fallback is best effort: the original failures stand
            return
        finally:
            self.max_new_tokens = budget
        for (i, prefix), text in zip(todo, texts, strict=True):
            latency = results[i].latency_s + spent[i]
            text = text.split("<", 1)[0] + "</score>"  # the score ends where a tag starts, cut or not ("</sco")
            done = parse_judgement(prefix + text, judge=self.name, latency_s=latency)
            if done.ok:
                self.engine_stats["score_fallbacks_ok"] = self.engine_stats.get("score_fallbacks_ok", 0) + 1
                results[i] = done
            else:
                error = f"{results[i].error}; the score completion did not parse either: {done.error}"
                results[i] = Judgement.failure(error, raw=prefix + text, judge=self.name, latency_s=latency)

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch; always returns one judgement per request, in order."""
        batch = list(requests)
        results: list[Judgement | None] = [None] * len(batch)
        rows: list[tuple[int, list[int]]] = []
        for i, request in enumerate(batch):
            try:
                prompt = self._prompt(self.messages(request))
                rows.append((i, self.tokenizer(prompt, add_special_tokens=False)["input_ids"]))
            except Exception as exc:  # noqa: BLE001 - a bad request must not sink the batch
                results[i] = Judgement.failure(f"cannot build prompt: {type(exc).__name__}: {exc}", judge=self.name)
        rows.sort(key=lambda item: len(item[1]))  # similar lengths together: less padding
        prompts = dict(rows)
        if rows and self.engine == "continuous":
            began = time.perf_counter()
            try:
                texts = self._continuous([r for _, r in rows])
            except Exception as exc:  # noqa: BLE001 - a model the engine cannot drive: generate from now on
                self.engine, self.engine_error, texts = "generate", f"{type(exc).__name__}: {exc}", None
            if texts is not None:
                latency = (time.perf_counter() - began) / len(rows)
                for (i, _), text in zip(rows, texts, strict=True):
                    results[i] = parse_judgement(text, judge=self.name, latency_s=latency)
                rows = []
        for start in range(0, len(rows), self.batch_size):
            chunk = rows[start : start + self.batch_size]
            began = time.perf_counter()
            try:
                texts = self._generate([r for _, r in chunk])
            except Exception as exc:  # noqa: BLE001 - e.g. out of memory: fail this chunk, keep going
                latency = (time.perf_counter() - began) / len(chunk)
                for i, _ in chunk:
                    error = f"generation failed: {type(exc).__name__}: {exc}"
                    results[i] = Judgement.failure(error, judge=self.name, latency_s=latency)
                continue
            latency = (time.perf_counter() - began) / len(chunk)
            for (i, _), text in zip(chunk, texts, strict=True):
                results[i] = parse_judgement(text, judge=self.name, latency_s=latency)
        if self.score_fallback:
            self._complete_scores(results, prompts)
        return [r if r is not None else Judgement.failure("not judged", judge=self.name) for r in results]
