"""``OpenAIJudge``: Agent-RRM behind any OpenAI-compatible ``/v1/chat/completions`` server (e.g. ``vllm serve``).

A batch is sent as concurrent requests (a thread pool over one ``httpx.Client``). Each request is retried with
exponential backoff on timeouts, connection errors (refused, dropped mid-response), HTTP 5xx and 429 (a small
``Retry-After`` is honoured); other 4xx answers are not retried. Every failure becomes ``Judgement.failure`` with a
clear error, never an exception. httpx is imported when the judge is built.

An unreachable server is detected once: when a request gives up on connection errors or timeouts (or
:meth:`OpenAIJudge.health_check` finds the server down), the judge stops calling it for ``unreachable_retry_s``
seconds and fails every request at once with that reason, instead of spending the retries again on every step;
after the pause the next request tries the server again. What is known about a server is shared by every judge of
the process that talks to it (by ``base_url``), so a health check before a run spares the run's judge the retries.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rrm_gym.judges.parser import parse_judgement
from rrm_gym.judges.prompt import DEFAULT_MAX_TRAJECTORY_TOKENS, build_messages
from rrm_gym.types import Judgement, JudgeRequest

__all__ = ["OpenAIJudge", "API_KEY_ENV_VARS"]

API_KEY_ENV_VARS = ("RRM_JUDGE_API_KEY", "OPENAI_API_KEY")
MAX_RETRY_AFTER_S = 30.0
_DOWN: dict[str, tuple[float, str]] = {}  # base_url -> (monotonic time until which requests fail at once, reason)
_DOWN_LOCK = threading.Lock()


class _Retryable(Exception):
    """A failure worth another try (its message says what happened); ``unreachable`` for no answer at all."""

    def __init__(self, message: str, retry_after: float | None = None, unreachable: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable


class OpenAIJudge:
    """Judge through an OpenAI-compatible chat-completions server.

    Args:
        base_url: Server root including ``/v1``, e.g. ``http://localhost:8000/v1``.
        model: Model name the server knows (e.g. ``Agent-RRM``).
        api_key: Bearer token; default ``$RRM_JUDGE_API_KEY``, else ``$OPENAI_API_KEY``, else none.
        timeout: Seconds per HTTP attempt.
        max_retries: Extra attempts after the first on retryable failures.
        backoff: First backoff in seconds; doubles after each retry.
        concurrency: Requests of a batch in flight at once.
        temperature: Sampling temperature.
        max_tokens: Generation budget per judgement.
        max_trajectory_tokens: Token budget of the serialised trajectory (estimated as characters / 4).
        extra_body: Extra JSON fields for the request body (e.g. ``{"top_p": 0.9}``).
        unreachable_retry_s: After the server proved unreachable, fail requests at once for this many seconds.

    Attributes:
        http_calls: HTTP attempts made so far (retries included).
        unreachable: Why the server is considered unreachable right now, or ``None``.

    Example:
        >>> judge = OpenAIJudge("http://127.0.0.1:8000/v1", "Agent-RRM")
        >>> judge.name
        'openai:http://127.0.0.1:8000/v1:Agent-RRM'
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 8,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        max_trajectory_tokens: int = DEFAULT_MAX_TRAJECTORY_TOKENS,
        extra_body: dict[str, Any] | None = None,
        unreachable_retry_s: float = 30.0,
    ) -> None:
        import httpx

        if not base_url or not model:
            raise ValueError("OpenAIJudge needs a base_url (e.g. http://localhost:8000/v1) and a model name")
        if timeout <= 0 or max_retries < 0 or backoff < 0 or concurrency < 1 or unreachable_retry_s < 0:
            raise ValueError("need timeout > 0, max_retries >= 0, backoff >= 0, concurrency >= 1 and "
                             "unreachable_retry_s >= 0")
        self._httpx = httpx
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self.model = model
        self.api_key = api_key or next((os.environ[v] for v in API_KEY_ENV_VARS if os.environ.get(v)), None)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.concurrency = int(concurrency)
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.max_trajectory_tokens = int(max_trajectory_tokens)
        self.extra_body = dict(extra_body or {})
        self.name = f"openai:{self.base_url}:{model}"
        self.http_calls = 0
        self.unreachable_retry_s = float(unreachable_retry_s)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"], state["_httpx"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import httpx

        self.__dict__.update(state)
        self._lock, self._httpx = threading.Lock(), httpx

    def __repr__(self) -> str:
        return f"OpenAIJudge({self.base_url!r}, {self.model!r})"  # never shows the key

    # ----------------------------------------------------------------- prompt
    def messages(self, request: JudgeRequest) -> list[dict[str, str]]:
        """The chat messages sent for ``request`` (the reference is never included)."""
        return build_messages(request, self.max_trajectory_tokens)

    def _body(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body = {"model": self.model, "messages": messages, "temperature": self.temperature}
        body["max_tokens"] = self.max_tokens
        body.update(self.extra_body)
        return body

    def cache_key(self, request: JudgeRequest) -> dict[str, Any]:
        """What determines the judgement: the server, the model name and the exact body (prompt included)."""
        return {"base_url": self.base_url, "model": self.model, "body": self._body(self.messages(request))}

    # ----------------------------------------------------------------- HTTP
    def _attempt(self, client: Any, body: dict[str, Any]) -> str:
        """One HTTP attempt: the reply text, or raise :class:`_Retryable` / ``ValueError`` (final)."""
        httpx = self._httpx
        with self._lock:
            self.http_calls += 1
        try:
            response = client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timeout after {self.timeout:g}s ({type(exc).__name__})", unreachable=True) from exc
        except httpx.TransportError as exc:  # refused, reset, dropped mid-response, ...
            raise _Retryable(f"connection error: {type(exc).__name__}: {exc}", unreachable=True) from exc
        status = response.status_code
        snippet = response.text[:200].strip()
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("retry-after"))
            raise _Retryable(f"HTTP {status} from {self.url}: {snippet}", retry_after)
        if status >= 400:
            raise ValueError(f"HTTP {status} from {self.url} (not retried): {snippet}")
        try:
            data = response.json()
            message = data["choices"][0]["message"]
            content = message.get("content") or ""
            reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        except (json.JSONDecodeError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed response from {self.url}: {type(exc).__name__}: {snippet!r}") from exc
        if not isinstance(content, str) or not isinstance(reasoning, str):
            raise ValueError(f"malformed response from {self.url}: message content is not text")
        if reasoning and "think>" not in content.lower():  # servers with a reasoning parser split <think> off
            content = f"<think>{reasoning}</think>{content}"
        return content

    def _judge_one(self, client: Any, request: JudgeRequest) -> Judgement:
        start = time.perf_counter()
        try:
            body = self._body(self.messages(request))
        except Exception as exc:  # noqa: BLE001 - a bad request must not sink the batch
            return Judgement.failure(f"cannot build prompt: {type(exc).__name__}: {exc}", judge=self.name)
        last, unreachable = "", False
        for attempt in range(self.max_retries + 1):
            try:
                text = self._attempt(client, body)
            except _Retryable as exc:
                last, unreachable = str(exc), exc.unreachable
                if attempt < self.max_retries:
                    delay = self.backoff * (2**attempt)
                    if exc.retry_after is not None and exc.retry_after <= MAX_RETRY_AFTER_S:
                        delay = exc.retry_after
                    time.sleep(delay)
                continue
            except ValueError as exc:
                self._mark_up()  # it answered
                return Judgement.failure(str(exc), judge=self.name, latency_s=time.perf_counter() - start)
            self._mark_up()
            return parse_judgement(text, judge=self.name, latency_s=time.perf_counter() - start)
        error = f"gave up after {self.max_retries + 1} attempts: {last}"
        if unreachable:
            self._mark_down(last)
        return Judgement.failure(error, judge=self.name, latency_s=time.perf_counter() - start)

    # ----------------------------------------------------------------- reachability
    @property
    def unreachable(self) -> str | None:
        """The reason the server is skipped right now, or ``None`` when requests go to it."""
        down = _DOWN.get(self.base_url)
        return down[1] if down is not None and time.monotonic() < down[0] else None

    def _mark_down(self, reason: str) -> None:
        with _DOWN_LOCK:
            _DOWN[self.base_url] = (time.monotonic() + self.unreachable_retry_s, reason)

    def _mark_up(self) -> None:
        if self.base_url in _DOWN:
            with _DOWN_LOCK:
                _DOWN.pop(self.base_url, None)

    def health_check(self, timeout: float = 5.0) -> str | None:
        """Ask the server for its models once (``GET /models``): ``None`` when it answers, else what is wrong.

        A server that does not answer at all is marked unreachable (see the module docstring). A server that
        answers but does not list ``model`` among the models it serves is reported too (it would answer every
        request with an error).

        Example:
            >>> OpenAIJudge("http://127.0.0.1:9/v1", "m").health_check(timeout=1.0)  # doctest: +ELLIPSIS
            'judge server http://127.0.0.1:9/v1 is unreachable: ...'
        """
        httpx = self._httpx
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            response = httpx.get(f"{self.base_url}/models", headers=headers, timeout=min(timeout, self.timeout))
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self._mark_down(reason)
            return f"judge server {self.base_url} is unreachable: {reason}"
        self._mark_up()
        if response.status_code in (401, 403):
            return f"judge server {self.base_url} refused the API key (HTTP {response.status_code})"
        if response.status_code != 200:
            return None  # it answers; some servers have no /models
        try:
            served = [str(m.get("id")) for m in response.json().get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError):
            return None
        if served and self.model not in served:
            return f"judge server {self.base_url} does not serve model {self.model!r}; it serves: {', '.join(served)}"
        return None

    def __call__(self, requests: list[JudgeRequest]) -> list[Judgement]:
        """Judge a batch with up to ``concurrency`` requests in flight; one judgement per request, in order."""
        batch = list(requests)
        if not batch:
            return []
        down = self.unreachable
        if down is not None:
            error = (f"judge server {self.base_url} unreachable (not called for {self.unreachable_retry_s:g}s after: "
                     f"{down})")
            return [Judgement.failure(error, judge=self.name) for _ in batch]
        httpx = self._httpx
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        workers = min(self.concurrency, len(batch))
        limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
        with httpx.Client(timeout=self.timeout, headers=headers, limits=limits) as client:
            if workers == 1:
                return [self._judge_one(client, r) for r in batch]
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rrm-judge") as pool:
                return list(pool.map(lambda r: self._judge_one(client, r), batch))


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
