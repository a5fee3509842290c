"""``VLLMJudge``: Agent-RRM run in-process with ``vllm.LLM`` (batched ``chat``), for GPU machines.

vLLM is imported inside :class:`VLLMJudge`; without it a clear ``ImportError`` says how to install the extra.
(This module is deliberately not called ``vllm.py``: a module of that name makes other libraries believe vLLM is
installed.)
"""

from __future__ import annotations

import time
from typing import Any

from rrm_gym.judges.parser import parse_judgement
from rrm_gym.judges.prompt import DEFAULT_MAX_TRAJECTORY_TOKENS, build_messages
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["VLLMJudge", "VLLM_INSTALL_HINT"]

VLLM_INSTALL_HINT = "the 'vllm' judge needs vLLM: pip install 'rrm-gym[vllm]' (Linux with a CUDA GPU)"


class VLLMJudge:
    """Judge with an in-process vLLM engine.

    Args:
        model: Model path or hub id (e.g. a local copy of Agent-RRM).
        max_tokens: Generation budget per judgement.
        temperature: Sampling temperature.
        max_trajectory_tokens: Token budget of the serialised trajectory, counted with the model's tokenizer.
        **llm_kwargs: Passed to ``vllm.LLM`` (``tensor_parallel_size``, ``gpu_memory_utilization``, ...).

    Raises:
        ImportError: vLLM is not installed.

    Example:
        >>> judge = VLLMJudge("/models/Agent-RRM", gpu_memory_utilization=0.5)  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        max_trajectory_tokens: int = DEFAULT_MAX_TRAJECTORY_TOKENS,
        **llm_kwargs: Any,
    ) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise ImportError(VLLM_INSTALL_HINT) from exc
        if not model:
            raise ValueError("VLLMJudge needs a model path or name")
        self.model = str(model)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.max_trajectory_tokens = int(max_trajectory_tokens)
        self.name = f"vllm:{self.model}"
        self.llm = vllm.LLM(model=self.model, **llm_kwargs)
        self.sampling = vllm.SamplingParams(temperature=self.temperature, max_tokens=self.max_tokens)
        self.tokenizer = self.llm.get_tokenizer()

    def count_tokens(self, text: str) -> int:
        """Number of tokens of ``text`` for this model."""
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def messages(self, request: JudgeRequest) -> list[dict[str, str]]:
        """The chat messages sent for ``request`` (the reference is never included)."""
        return build_messages(request, self.max_trajectory_tokens, self.count_tokens)

    def cache_key(self, request: JudgeRequest) -> dict[str, Any]:
        """What determines the judgement: the model, the exact messages (prompt included) and the sampling settings."""
        params = {"max_tokens": self.max_tokens, "temperature": self.temperature}
        return {"model": self.model, "messages": self.messages(request), "params": params}

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch in one ``LLM.chat`` call; one judgement per request, in order."""
        batch = list(requests)
        if not batch:
            return []
        start = time.perf_counter()
        try:
            conversations = [self.messages(r) for r in batch]
            outputs = self.llm.chat(conversations, self.sampling, use_tqdm=False)
            texts = [out.outputs[0].text if out.outputs else "" for out in outputs]
        except Exception as exc:  # noqa: BLE001 - engine errors become visible failures
            latency = (time.perf_counter() - start) / len(batch)
            error = f"vLLM generation failed: {type(exc).__name__}: {exc}"
            return [Judgement.failure(error, judge=self.name, latency_s=latency) for _ in batch]
        latency = (time.perf_counter() - start) / len(batch)
        return [parse_judgement(text, judge=self.name, latency_s=latency) for text in texts]
