"""The ``choose`` action mode of :class:`~rrm_gym.agents.llm.policy.LLMPolicy`: a policy over candidate actions.

As in TWOSOME (Tan et al., ICLR 2024), the policy is a softmax over the env's candidate actions (see
:mod:`rrm_gym.envs.candidates`), each scored by its token log-likelihood after the chat prompt, normalised by its
length (``norm="token"``: mean per token, ``"word"``: sum divided by the number of words, ``"sum"``: none). PPO's
ratio, entropy and KL are those of this categorical, and the value head reads the prompt's last hidden state, so
actor and critic share one LLM. The prompt is encoded once per state: candidates are scored from one packed
sequence (:mod:`rrm_gym.agents.llm.packing`).

Templates (``"\\boxed{…}"``) make the policy hybrid: the template is one of the choices, scored by its prefix; once
chosen, the policy writes the slot token by token, and the turn's log-probability is that of the choice plus that
of the written tokens (both are in the update).

The frozen bottom layers run once per state (optionally in bfloat16); their output is kept with the choice, so the
update and the reference pass (adapter disabled) run only the adapted top layers, from the same states and the
same code path as the rollout: rollout and update log-probs agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch

from rrm_gym.agents.llm.packing import Packed, candidate_token_logprobs, pack, reduce_scores
from rrm_gym.agents.llm.tokens import ActionScores
from rrm_gym.envs.candidates import fill_template, split_template

__all__ = ["Choice", "choose", "forward_choices", "candidate_ids"]


@dataclass
class Choice:
    """One decision among candidates.

    Attributes:
        text: The action sent to the env (a template filled with what was written).
        prompt_ids: Prompt tokens.
        candidates: The candidate texts offered.
        candidate_ids: Their scored tokens (a template: its prefix).
        index: The chosen candidate.
        logprobs: ``[log pi(index) + log p(written tokens)]``: one unit per turn for the learners.
        values: ``[V(prompt)]`` (``None`` without a value head).
        probs: The categorical over the candidates, for reports.
        written_ids: Tokens written into a chosen template's slot (empty otherwise).
        frozen: States after the frozen layers of the packed row, or ``None``.
        prompt_truncated: Whether the prompt was cut to fit.
    """

    text: str
    prompt_ids: list[int]
    candidates: list[str]
    candidate_ids: list[list[int]]
    index: int
    logprobs: list[float]
    values: list[float] | None = None
    probs: list[float] = field(default_factory=list)
    written_ids: list[int] = field(default_factory=list)
    frozen: Any = None
    prompt_truncated: bool = False

    @property
    def action_ids(self) -> list[int]:
        """The chosen candidate's tokens followed by the written ones."""
        return list(self.candidate_ids[self.index]) + list(self.written_ids)


def candidate_ids(policy: Any, texts: Sequence[str]) -> list[list[int]]:
    """Scored tokens of each candidate: the text and the end-of-turn token; a template's prefix only (cached)."""
    cache: dict[str, list[int]] = policy.__dict__.setdefault("_candidate_cache", {})
    out = []
    for text in texts:
        ids = cache.get(text)
        if ids is None:
            parts = split_template(text)
            body = parts[0] if parts is not None else text
            ids = list(policy.tokenizer(body, add_special_tokens=False)["input_ids"])
            if parts is None:
                ids.append(policy.end_of_turn_id)
            ids = ids or [policy.end_of_turn_id]
            if len(cache) < 50_000:
                cache[text] = ids
        out.append(ids)
    return out


def _divisors(texts: Sequence[Sequence[str]], ids: Sequence[Sequence[Sequence[int]]], k_max: int, norm: str
              ) -> torch.Tensor:
    out = torch.ones((len(texts), k_max))
    for b, (row_texts, row_ids) in enumerate(zip(texts, ids, strict=True)):
        for j, (text, toks) in enumerate(zip(row_texts, row_ids, strict=True)):
            if norm == "token":
                out[b, j] = len(toks)
            elif norm == "word":
                out[b, j] = max(1, len(text.split()))
    return out


def _hidden(policy: Any, states: torch.Tensor, packed: Packed, reference: bool) -> torch.Tensor:
    with policy.reference() if reference else nullcontext(), policy.compute_context():
        return policy.frozen.top_from(states, packed.mask, packed.position_ids)


def _score(policy: Any, hidden: torch.Tensor, packed: Packed, divisors: torch.Tensor, score_len: torch.Tensor
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """(candidate scores ``[B, k_max]``, per-row log-prob of the written tokens ``[B]``).

    Candidate tokens are scored at temperature 1 (the choice temperature acts on the softmax over scores);
    tokens written into a template's slot at the policy's sampling temperature, as they were sampled.
    """
    lm_head = policy._base().get_output_embeddings()
    scored = packed.token_index < score_len.view(-1)[packed.owner]
    with policy.compute_context():
        token_lp = candidate_token_logprobs(hidden, packed, lm_head)
    extra = torch.zeros(len(packed.counts), dtype=token_lp.dtype, device=token_lp.device)
    if not bool(scored.all()):
        with policy.compute_context():
            written_lp = candidate_token_logprobs(hidden, packed, lm_head, max(policy.temperature, 1e-6))
        extra = extra.index_add(0, packed.pred_rows, torch.where(scored, torch.zeros_like(written_lp), written_lp))
    scores = reduce_scores(torch.where(scored, token_lp, torch.zeros_like(token_lp)), packed, divisors)
    return scores, extra


def _score_lengths(ids: Sequence[Sequence[Sequence[int]]], k_max: int) -> torch.Tensor:
    out = torch.zeros((len(ids), k_max), dtype=torch.long)
    for b, row in enumerate(ids):
        for j, toks in enumerate(row):
            out[b, j] = len(toks)
    return out


@torch.no_grad()
def choose(policy: Any, prompts: Sequence[tuple[list[int], bool]], candidates: Sequence[Sequence[str]], *,
           greedy: bool = False) -> list[Choice]:
    """Pick one candidate per prompt (sampled from the policy's categorical, or its argmax when ``greedy``).

    Args:
        policy: The :class:`~rrm_gym.agents.llm.policy.LLMPolicy`.
        prompts: ``(prompt ids, truncated)`` per state.
        candidates: Candidate texts per state (at least one each).
        greedy: Take the most likely candidate (and write templates greedily).
    """
    texts = [list(c) for c in candidates]
    ids = [candidate_ids(policy, c) for c in texts]
    packed = pack([p for p, _ in prompts], ids, policy.pad_id)
    dev = packed.to(policy.device)
    states = policy.frozen.bottom(dev.input_ids, dev.mask, dev.position_ids)
    hidden, scored = _adapted(policy, states, dev, [(p, c) for (p, _), c in zip(prompts, ids, strict=True)], False)
    divisors = _divisors(texts, ids, packed.k_max, policy.choice_norm).to(policy.device)
    scores, _ = _score(policy, hidden, scored, divisors, _score_lengths(ids, packed.k_max).to(policy.device))
    logp = torch.log_softmax(scores.float() / policy.choice_temperature, dim=-1)
    picks = logp.argmax(-1) if greedy else torch.multinomial(logp.exp(), 1).squeeze(-1)
    values = None
    if policy.value_head is not None:
        values = policy.value_head(hidden[torch.arange(len(prompts)), scored.prompt_last]).cpu().tolist()
    out = []
    for b, (prompt, truncated) in enumerate(prompts):
        j = int(picks[b])
        length = sum(len(c) for c in ids[b]) + len(prompt)
        out.append(Choice(text=texts[b][j], prompt_ids=list(prompt), candidates=texts[b], candidate_ids=ids[b],
                          index=j, logprobs=[float(logp[b, j])], values=None if values is None else [values[b]],
                          probs=logp[b, : len(texts[b])].exp().tolist(),
                          frozen=states[b, :length].to(policy.frozen_store_dtype).clone(),
                          prompt_truncated=truncated))
    templates = [c for c in out if split_template(c.text) is not None]
    if templates:
        _write(policy, templates, greedy)
    return out


def _run_split(policy: Any, ids: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor, cache: Any
               ) -> torch.Tensor:
    """Bottom then top layers on new tokens, extending ``cache`` (one cache holds both parts' layers)."""
    frozen = policy.frozen
    embeds = frozen.decoder.embed_tokens(ids)
    if frozen.enabled:
        dtype = getattr(frozen, "bottom_dtype", embeds.dtype)
        with frozen._layers(slice(0, frozen.k), final_norm=False):
            embeds = frozen.decoder(inputs_embeds=embeds.to(dtype), attention_mask=mask, position_ids=positions,
                                    cache=cache, use_cache=True).last_hidden_state.to(frozen.decoder.embed_tokens
                                                                                      .weight.dtype)
        with frozen._layers(slice(frozen.k, None)), policy.compute_context():
            return frozen.decoder(inputs_embeds=embeds, attention_mask=mask, position_ids=positions, cache=cache,
                                  use_cache=True).last_hidden_state
    return frozen.decoder(inputs_embeds=embeds, attention_mask=mask, position_ids=positions, cache=cache,
                          use_cache=True).last_hidden_state


def _write(policy: Any, choices: list[Choice], greedy: bool) -> None:
    """Fill the chosen templates: write each slot after ``prompt + prefix``, token by token, with a KV cache."""
    from transformers import DynamicCache

    stop = set(policy.stop_ids)
    head = policy._base().get_output_embeddings()
    temperature = policy.temperature
    for choice in choices:
        suffix = (split_template(choice.text) or ("", ""))[1].strip()
        seq = list(choice.prompt_ids) + list(choice.candidate_ids[choice.index])
        cache = DynamicCache(config=policy._base().config)
        n = len(seq)
        ids = torch.tensor([seq], device=policy.device)
        mask = torch.ones((n, n), dtype=torch.bool, device=policy.device).tril()[None, None]
        hidden = _run_split(policy, ids, torch.arange(n, device=policy.device)[None], mask, cache)[:, -1]
        written: list[int] = []
        logp_total = 0.0
        for step in range(policy.max_new_tokens):
            with policy.compute_context():
                logits = head(hidden[0]).float()
            lp = torch.log_softmax(logits / max(temperature, 1e-6), dim=-1)
            token = int(lp.argmax()) if greedy or temperature <= 0 else int(torch.multinomial(lp.exp(), 1))
            written.append(token)
            logp_total += float(lp[token])
            if token in stop or (suffix and suffix in policy.tokenizer.decode(written, skip_special_tokens=True)):
                break
            at = n + step
            hidden = _run_split(policy, torch.tensor([[token]], device=policy.device),
                                torch.tensor([[at]], device=policy.device),
                                torch.ones((1, 1, 1, at + 1), dtype=torch.bool, device=policy.device), cache)[:, -1]
        choice.written_ids = written
        choice.logprobs = [choice.logprobs[0] + logp_total]
        choice.text = fill_template(choice.text, policy.tokenizer.decode(written, skip_special_tokens=True))
        full = pack([choice.prompt_ids], [_rows_for_update(choice)[1]], policy.pad_id).to(policy.device)
        choice.frozen = policy.frozen.bottom(full.input_ids, full.mask, full.position_ids)[0].to(
            policy.frozen_store_dtype).clone()


def _rows_for_update(choice: Choice) -> tuple[list[int], list[list[int]]]:
    """The packed row of a choice in the update: every candidate, the chosen one followed by the written tokens."""
    cands = [list(c) for c in choice.candidate_ids]
    if choice.written_ids:
        cands[choice.index] = cands[choice.index] + list(choice.written_ids)
    return list(choice.prompt_ids), cands


def _states_of(policy: Any, choices: Sequence[Choice], packed: Packed) -> torch.Tensor:
    """The frozen states of the packed rows: kept from the rollout, else computed now."""
    if not all(c.frozen is not None for c in choices):
        return policy.frozen.bottom(packed.input_ids, packed.mask, packed.position_ids)
    dtype = policy.frozen.decoder.embed_tokens.weight.dtype
    states = torch.zeros((len(choices), packed.input_ids.shape[1], policy.hidden_size), dtype=dtype,
                         device=policy.device)
    for b, c in enumerate(choices):
        states[b, : c.frozen.shape[0]] = c.frozen.to(device=policy.device, dtype=dtype)
    return states


def _top_cached(policy: Any, states: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor, cache: Any
                ) -> torch.Tensor:
    frozen = policy.frozen
    part = slice(frozen.k, None) if frozen.enabled else slice(0, None)
    with frozen._layers(part), policy.compute_context():
        return frozen.decoder(inputs_embeds=states, attention_mask=mask, position_ids=positions, cache=cache,
                              use_cache=True).last_hidden_state


def _detached_context_hidden(policy: Any, states: torch.Tensor, rows: Sequence[tuple[list[int], list[list[int]]]],
                             reference: bool) -> tuple[torch.Tensor, Packed]:
    """Adapted layers with gradient only on each row's last prompt token and its candidates.

    The prompt before that token runs first, without gradient, into a key/value cache that the candidates attend
    to: the forward values are exactly those of the full packed row, but the backward pass skips the prompt
    (most of the tokens), which makes the update about twice as fast.
    """
    from transformers import DynamicCache

    dev = policy.device
    lengths = [len(r[0]) for r in rows]
    batch, width = len(rows), max(lengths) - 1
    block = pack([[r[0][-1]] for r in rows], [r[1] for r in rows], policy.pad_id).to(dev)
    block.position_ids = block.position_ids + torch.tensor([n - 1 for n in lengths], device=dev)[:, None]
    tail = torch.zeros((batch, block.input_ids.shape[1], states.shape[-1]), dtype=states.dtype, device=dev)
    valid = torch.zeros((batch, width), dtype=torch.bool, device=dev)
    head = torch.zeros((batch, width, states.shape[-1]), dtype=states.dtype, device=dev)
    head_pos = torch.zeros((batch, width), dtype=torch.long, device=dev)
    for b, n in enumerate(lengths):
        used = sum(len(c) for c in rows[b][1]) + 1
        tail[b, :used] = states[b, n - 1 : n - 1 + used]
        if n > 1:
            head[b, width - (n - 1):] = states[b, : n - 1]
            valid[b, width - (n - 1):] = True
            head_pos[b, width - (n - 1):] = torch.arange(n - 1, device=dev)
    cache = DynamicCache(config=policy._base().config)
    with policy.reference() if reference else nullcontext():
        if width > 0:
            causal = torch.ones((width, width), dtype=torch.bool, device=dev).tril()[None] & valid[:, None, :]
            causal |= torch.eye(width, dtype=torch.bool, device=dev)[None]
            with torch.no_grad():
                _top_cached(policy, head, causal[:, None], head_pos, cache)
        mask = torch.cat([valid[:, None, None, :].expand(-1, 1, block.input_ids.shape[1], -1), block.mask], dim=-1)
        hidden = _top_cached(policy, tail, mask, block.position_ids, cache)
    return hidden, block


def _adapted(policy: Any, states: torch.Tensor, packed: Packed, rows: Sequence[tuple[list[int], list[list[int]]]],
             reference: bool) -> tuple[torch.Tensor, Packed]:
    """The adapted layers on packed rows: whole rows, or with the prompt detached (``policy.prompt_grad``).

    The rollout takes the same path as the update, so that their log-probs agree.
    """
    if policy.prompt_grad:
        return _hidden(policy, states, packed, reference), packed
    return _detached_context_hidden(policy, states, rows, reference)


def forward_choices(policy: Any, choices: Sequence[Choice], *, with_values: bool = True, reference: bool = False
                    ) -> ActionScores:
    """Log-prob, entropy and value of each choice, with gradient through the adapted layers (``[B, 1]`` each).

    The log-prob is that of the chosen candidate under the categorical plus, for a template, that of the written
    tokens; the entropy is the categorical's. With ``policy.prompt_grad`` off (the default) the gradient skips
    the prompt's keys and values (see :func:`_detached_context_hidden`); the values computed are the same.
    """
    if not choices:
        raise ValueError("forward_choices needs at least one choice")
    rows = [_rows_for_update(c) for c in choices]
    packed = pack([r[0] for r in rows], [r[1] for r in rows], policy.pad_id).to(policy.device)
    hidden, packed = _adapted(policy, _states_of(policy, choices, packed), packed, rows, reference)
    ids = [[list(x) for x in c.candidate_ids] for c in choices]
    divisors = _divisors([c.candidates for c in choices], ids, packed.k_max, policy.choice_norm).to(policy.device)
    scores, extra = _score(policy, hidden, packed, divisors, _score_lengths(ids, packed.k_max).to(policy.device))
    logp_all = torch.log_softmax(scores.float() / policy.choice_temperature, dim=-1)
    index = torch.tensor([c.index for c in choices], device=policy.device)
    logp = logp_all.gather(-1, index[:, None]).squeeze(-1) + extra.float()
    probs = logp_all.exp()
    entropy = -(probs * torch.where(probs > 0, logp_all, torch.zeros_like(logp_all))).sum(-1)
    values = None
    if with_values and not reference and policy.value_head is not None:
        values = policy.value_head(hidden[torch.arange(len(choices), device=policy.device), packed.prompt_last])
        values = values[:, None]
    mask = torch.ones((len(choices), 1), dtype=torch.bool, device=policy.device)
    return ActionScores(logp[:, None], entropy[:, None], values, mask)


def categorical_entropy(probs: Sequence[float]) -> float:
    """Entropy (nats) of a probability list, for logs."""
    return float(-sum(p * math.log(p) for p in probs if p > 0))
