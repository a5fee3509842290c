"""``LLMPolicy``: a Hugging Face chat model with LoRA and a value head, acting on batches of conversations.

Two action modes (``action_mode``):

* ``"choose"`` — a softmax over the env's candidate actions, each scored by its length-normalised log-likelihood
  after the prompt, templates written token by token (:mod:`rrm_gym.agents.llm.choice`); what a small model on a
  CPU can learn with.
* ``"generate"`` — free text, batched over many conversations (:mod:`rrm_gym.agents.llm.generation`); for larger
  models and envs without candidates.

Both modes:

* The reference policy of the KL term is the same model with the LoRA adapter disabled — no second copy.
* :meth:`LLMPolicy.forward_actions` recomputes log-probs, entropies and values of given (prompt, action) token
  batches with gradient, for the PPO/GRPO updates.

torch, transformers and peft are imported when this module is imported; ``import rrm_gym`` does not import it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

# Idle OpenMP threads should sleep rather than spin: on a shared CPU (CI, laptops running a judge) spinning threads
# make token-by-token generation up to ten times slower. Only applies if torch is not imported yet; users may
# override it by setting the variable themselves.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from rrm_gym.agents.llm.choice import Choice, choose, forward_choices
from rrm_gym.agents.llm.conversation import Agent, Conversation
from rrm_gym.agents.llm.frozen import FrozenSplit
from rrm_gym.agents.llm.generation import generate_batch
from rrm_gym.agents.llm.policy_io import load_policy_weights, policy_kwargs, save_policy
from rrm_gym.agents.llm.policy_setup import end_of_turn_id, use_mixed_precision
from rrm_gym.agents.llm.prompts import make_tracker
from rrm_gym.agents.llm.tokens import ActionScores, Generation, fit_prompt, left_pad, prompt_action_layout
from rrm_gym.agents.llm.value_head import ValueHead

__all__ = ["LLMPolicy", "Generation", "ActionScores", "Choice", "ACTION_MODES"]

ACTION_MODES = ("choose", "generate")

_STOP_TOKENS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")
_DEFAULT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


class LLMPolicy:
    """A causal LM with its chat template, LoRA (peft) and an optional value head.

    Args:
        model: Local folder or hub id; ``None`` is the bundled SmolLM2-135M-Instruct.
        lora: Wrap the model with a LoRA adapter (B initialised to zero, so the policy starts equal to the base).
        lora_r: LoRA rank.
        lora_alpha: LoRA scaling numerator.
        lora_dropout: LoRA dropout (0 keeps rollout and update log-probs identical).
        target_modules: Modules that get adapters (default: all attention and MLP projections).
        lora_layers: Adapt only the top N decoder layers (``None``: all). The backward pass then stops at the
            lowest adapted layer, which makes updates several times cheaper on a CPU. ``"auto"``: all layers on
            a GPU, the top quarter (at least 4) on a CPU.
        value_head: Add a value head (PPO needs it; GRPO does not).
        value_inner_size: Hidden width of the value head's MLP (0: linear).
        max_prompt_tokens: Prompts longer than this drop their oldest turns (the system message and the first
            observation stay), then get their longest messages cut in the middle.
        max_new_tokens: Longest action in tokens.
        temperature: Sampling temperature (the log-probs are those of ``logits / temperature``).
        top_p: Nucleus sampling (1.0: off; log-probs ignore the cut).
        generation_batch_size: Conversations per ``generate`` call (``None``: all at once).
        cache_frozen: Keep the hidden states of the layers below the adapter from generation, so updates run only
            the adapted layers (see :mod:`rrm_gym.agents.llm.frozen`); ``"auto"``: on a CPU.
        device: ``"cpu"``, ``"cuda"``, ... (default: CUDA when available).
        dtype: ``"float32"``, ``"bfloat16"``, ... (default: float32 on CPU, bfloat16 on CUDA when supported).
        seed: Seeds torch's RNG (sampling) when given.
        adapter: A folder written by :meth:`save` whose adapter and value head to load.
        action_mode: ``"choose"`` (a categorical over the env's candidate actions) or ``"generate"`` (free text).
        choice_norm: How a candidate's token log-probs become its score: ``"token"`` (mean per token, the
            default: measured best zero-shot), ``"word"`` (per word, as TWOSOME) or ``"sum"``.
        choice_temperature: Temperature of the softmax over candidate scores (rollout, update and KL alike).
        mixed_precision: ``choose`` mode only: frozen layers kept in bfloat16 and the adapted layers run under
            bfloat16 autocast, weights, gradients and optimizer state staying in ``dtype`` (``"auto"``: on a CPU
            with native bf16 instructions, where it halves rollout and update time).
        prompt_grad: ``choose`` mode: let the update's gradient flow through the prompt's keys and values too
            (``False``, the default: only through the last prompt token and the candidates, which gives the same
            log-probs and values and about half the backward cost).
        history_turns: Past steps in each prompt (``choose``: one line each; ``generate``: exchanges kept).
        max_observation_chars: ``choose`` mode: cut for observations of envs without a compact rendering.
        system_prompt: System message (``None``: the action mode's default).

    Example:
        >>> policy = LLMPolicy(max_new_tokens=8)  # doctest: +SKIP
        >>> gen = policy.generate([[{"role": "user", "content": "Say hi"}]])[0]  # doctest: +SKIP
        >>> len(gen.action_ids) == len(gen.logprobs)  # doctest: +SKIP
        True
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        lora: bool = True,
        lora_r: int = 8,
        lora_alpha: int = 16,
        lora_dropout: float = 0.0,
        target_modules: Sequence[str] | str | None = None,
        lora_layers: int | str | None = "auto",
        value_head: bool = True,
        value_inner_size: int = 128,
        max_prompt_tokens: int = 1024,
        max_new_tokens: int = 32,
        temperature: float = 0.7,
        top_p: float = 1.0,
        generation_batch_size: int | None = None,
        cache_frozen: bool | str = "auto",
        device: str | None = None,
        dtype: str | None = None,
        seed: int | None = None,
        adapter: str | os.PathLike[str] | None = None,
        action_mode: str = "choose",
        choice_norm: str = "token",
        choice_temperature: float = 1.0,
        mixed_precision: bool | str = "auto",
        prompt_grad: bool = False,
        history_turns: int = 2,
        max_observation_chars: int = 600,
        system_prompt: str | None = None,
    ) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from rrm_gym.models import resolve_model_path

        if max_prompt_tokens < 16:
            raise ValueError(f"max_prompt_tokens must be >= 16, got {max_prompt_tokens}")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {action_mode!r}")
        from rrm_gym.agents.llm.packing import NORMALISATIONS

        if choice_norm not in NORMALISATIONS:
            raise ValueError(f"choice_norm must be one of {NORMALISATIONS}, got {choice_norm!r}")
        if not choice_temperature > 0:
            raise ValueError(f"choice_temperature must be > 0, got {choice_temperature!r}")
        if seed is not None:
            torch.manual_seed(seed)
        self.action_mode = action_mode
        self.prompt_grad = bool(prompt_grad)
        self.history_turns = int(history_turns)
        self.max_observation_chars = int(max_observation_chars)
        if system_prompt is None:
            from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT
            from rrm_gym.agents.llm.prompts import SYSTEM_PROMPT_CHOOSE

            system_prompt = SYSTEM_PROMPT_CHOOSE if action_mode == "choose" else SYSTEM_PROMPT_AGENT
        self.system_prompt = system_prompt
        self.choice_norm = choice_norm
        self.choice_temperature = float(choice_temperature)
        self.model_path = resolve_model_path(model)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if dtype is None:
            dtype = "bfloat16" if self.device.type == "cuda" and torch.cuda.is_bf16_supported() else "float32"
        self.dtype = getattr(torch, dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_path)
        if self.tokenizer.chat_template is None:
            raise ValueError(f"{self.model_path} has no chat template; LLMPolicy needs a chat (instruct) model")
        base = AutoModelForCausalLM.from_pretrained(self.model_path, dtype=self.dtype).to(self.device)
        num_layers = int(base.config.num_hidden_layers)
        if lora_layers == "auto":
            lora_layers = None if self.device.type != "cpu" else max(4, num_layers // 4)
        if lora_layers is not None and not (isinstance(lora_layers, int) and lora_layers >= 1):
            raise ValueError(f"lora_layers must be a positive int, None or 'auto', got {lora_layers!r}")
        layers = None if lora_layers is None or lora_layers >= num_layers else list(
            range(num_layers - lora_layers, num_layers))
        self.lora_settings = {"r": lora_r, "alpha": lora_alpha, "dropout": lora_dropout,
                              "target_modules": list(target_modules) if isinstance(target_modules, (list, tuple))
                              else (target_modules or _DEFAULT_TARGETS), "layers": layers} if lora else None
        if lora:
            from peft import LoraConfig, get_peft_model

            config = LoraConfig(r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, bias="none",
                                target_modules=self.lora_settings["target_modules"], task_type="CAUSAL_LM",
                                layers_to_transform=layers)
            from rrm_gym._warnings import quiet_third_party_deprecations

            with quiet_third_party_deprecations():  # peft reads transformers' deprecated is_gradient_checkpointing
                self.model = get_peft_model(base, config)
        else:
            self.model = base
            for p in self.model.parameters():
                p.requires_grad_(False)
        self.model.eval()  # no dropout anywhere: rollout and update log-probs agree
        self.frozen = FrozenSplit(self._base().get_decoder(), min(layers) if lora and layers else 0)
        if cache_frozen == "auto":
            cache_frozen = self.device.type == "cpu"
        if not (cache_frozen and self.frozen.verify(self.device)):
            self.frozen.enabled = False
        self.mixed_precision = use_mixed_precision(self, mixed_precision)
        if self.mixed_precision:
            self.frozen.cast_bottom(torch.bfloat16)
        self.frozen_store_dtype = torch.bfloat16 if self.mixed_precision else self.dtype
        hidden = int(self.model.config.hidden_size)
        self.hidden_size = hidden
        self.value_head = ValueHead(hidden, value_inner_size).to(self.device) if value_head else None
        self.value_inner_size = value_inner_size
        self.max_prompt_tokens = max_prompt_tokens
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.top_p = top_p
        self.generation_batch_size = generation_batch_size
        vocab = self.tokenizer.get_vocab()
        stops = {vocab[t] for t in _STOP_TOKENS if t in vocab}
        if self.tokenizer.eos_token_id is not None:
            stops.add(int(self.tokenizer.eos_token_id))
        self.stop_ids = sorted(stops)
        self.pad_id = int(self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_ids[0])
        self.end_of_turn_id = end_of_turn_id(self.tokenizer, self.stop_ids)
        if adapter is not None:
            self.load_weights(adapter)

    # ------------------------------------------------------------------ model parts
    @property
    def has_adapter(self) -> bool:
        """Whether the model carries a LoRA adapter."""
        return self.lora_settings is not None

    def _base(self) -> Any:
        return self.model.get_base_model() if self.has_adapter else self.model

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """The parameters an optimizer should update: the LoRA weights and the value head."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        if self.value_head is not None:
            params += list(self.value_head.parameters())
        return params

    def compute_context(self) -> AbstractContextManager[Any]:
        """Context of every pass through the adapted layers (bfloat16 autocast under mixed precision)."""
        if self.mixed_precision:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def reference(self) -> AbstractContextManager[Any]:
        """Context in which the model is the reference policy (adapter disabled)."""
        if not self.has_adapter:
            raise RuntimeError("the reference policy needs a LoRA adapter (LLMPolicy(lora=True))")
        return self.model.disable_adapter()

    # ------------------------------------------------------------------ prompts
    def _render(self, conv: Conversation) -> list[int]:
        text = self.tokenizer.apply_chat_template(conv, tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode_prompt(self, conversation: Conversation) -> tuple[list[int], bool]:
        """Token ids of ``conversation`` as a prompt for the next assistant turn, cut to ``max_prompt_tokens``.

        Returns:
            The ids and whether anything was cut (see :func:`~rrm_gym.agents.llm.tokens.fit_prompt`).
        """
        return fit_prompt(self._render, conversation, self.max_prompt_tokens)

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(
        self,
        conversations: Sequence[Conversation],
        *,
        greedy: bool = False,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        min_new_tokens: int | None = None,
    ) -> list[Generation]:
        """Generate one action per conversation, batched.

        Args:
            conversations: Chat conversations (see :class:`~rrm_gym.agents.llm.conversation.ConversationTracker`).
            greedy: Argmax decoding instead of sampling.
            temperature: Overrides the policy's temperature (``<= 0`` means greedy).
            top_p: Overrides the policy's top-p.
            max_new_tokens: Overrides the policy's action length.
            min_new_tokens: Suppress the end of turn before this many tokens (benchmarks with fixed lengths).

        Returns:
            One :class:`Generation` per conversation, in order.
        """
        if not conversations:
            return []
        if self.mixed_precision:
            raise RuntimeError("this policy runs its layers in mixed precision for the choose mode; build it with "
                               "mixed_precision=False (or action_mode='generate') to generate free text")
        encoded = [self.encode_prompt(c) for c in conversations]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))  # similar lengths batch together
        size = self.generation_batch_size or len(order)
        out: list[Generation | None] = [None] * len(encoded)
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            gens = generate_batch(self, [encoded[i][0] for i in idx], greedy, temperature, top_p, max_new_tokens,
                                        min_new_tokens)
            for i, gen in zip(idx, gens, strict=True):
                gen.prompt_truncated = encoded[i][1]
                out[i] = gen
        return [g for g in out if g is not None]

    def choose(self, conversations: Sequence[Conversation], candidates: Sequence[Sequence[str]], *,
               greedy: bool = False) -> list[Choice]:
        """Pick one candidate action per conversation (``choose`` mode; see :mod:`rrm_gym.agents.llm.choice`)."""
        if len(conversations) != len(candidates):
            raise ValueError("need one candidate list per conversation")
        if any(not c for c in candidates):
            raise ValueError("every conversation needs at least one candidate action")
        if not conversations:
            return []
        return choose(self, [self.encode_prompt(c) for c in conversations], candidates, greedy=greedy)

    def forward_choices(self, choices: Sequence[Choice], *, with_values: bool = True,
                        reference: bool = False) -> ActionScores:
        """Log-probs, entropies and values (``[B, 1]``) of recorded choices, with gradient."""
        return forward_choices(self, choices, with_values=with_values, reference=reference)

    def as_agent(self, greedy: bool = True, **generate_kwargs: Any) -> Agent:
        """An :data:`~rrm_gym.agents.llm.conversation.Agent`: conversations (and their infos) in, actions out.

        In ``choose`` mode the agent picks from each info's candidate actions, and falls back to free text for a
        conversation whose env offers none.
        """

        def agent(conversations: list[Conversation], infos: Sequence[dict[str, Any]] | None = None) -> list[str]:
            return [a.text for a in self.act(conversations, infos, greedy=greedy, **generate_kwargs)]

        agent.uses_infos = True  # type: ignore[attr-defined]
        agent.make_tracker = lambda n: make_tracker(self, n)  # type: ignore[attr-defined]
        return agent

    def act(self, conversations: Sequence[Conversation], infos: Sequence[dict[str, Any]] | None = None, *,
            greedy: bool = False, **generate_kwargs: Any) -> list[Choice | Generation]:
        """One action per conversation, in the policy's action mode (see :meth:`as_agent`)."""
        from rrm_gym.envs.candidates import WRITE, candidate_actions

        cands = [candidate_actions(i) if self.action_mode == "choose" else None for i in (infos or [{}] * len(
            conversations))]
        if self.action_mode == "choose":  # no candidates: write free text through the all-slot template
            cands = [c or [WRITE] for c in cands]
        out: list[Choice | Generation | None] = [None] * len(conversations)
        pick = [i for i, c in enumerate(cands) if c]
        free = [i for i, c in enumerate(cands) if not c]
        if pick:
            for i, ch in zip(pick, self.choose([conversations[i] for i in pick], [cands[i] for i in pick],
                                               greedy=greedy), strict=True):
                out[i] = ch
        if free:
            for i, gen in zip(free, self.generate([conversations[i] for i in free], greedy=greedy,
                                                  **generate_kwargs), strict=True):
                out[i] = gen
        return [a for a in out if a is not None]

    # ------------------------------------------------------------------ scoring with gradient
    def forward_actions(
        self,
        prompt_ids: Sequence[Sequence[int]],
        action_ids: Sequence[Sequence[int]],
        *,
        with_values: bool = True,
        reference: bool = False,
        temperature: float | None = None,
        frozen: Sequence[Any] | None = None,
    ) -> ActionScores:
        """Log-probs, entropies and values of ``action_ids`` after ``prompt_ids``, with gradient.

        Rows are laid out ``[left padding, prompt, action, right padding]`` so that all actions start at the same
        column; only the action positions go through the LM head.

        Args:
            prompt_ids: One prompt per row.
            action_ids: One action per row (at least one token each).
            with_values: Also compute values (needs a value head).
            reference: Score under the reference policy (adapter disabled); no values then.
            temperature: Temperature of the log-probs (default: the policy's sampling temperature).
            frozen: Per row, the states below the adapter kept from generation (``Generation.frozen``); when
                every row has them only the adapted layers run. Ignored when the split is disabled.
        """
        if len(prompt_ids) != len(action_ids) or not prompt_ids:
            raise ValueError("prompt_ids and action_ids must be non-empty and of the same length")
        if any(len(a) == 0 for a in action_ids):
            raise ValueError("every action needs at least one token")
        temp = self.temperature if temperature is None else temperature
        temp = temp if temp > 0 else 1.0
        ids, attn, position, mask, p_width = prompt_action_layout(prompt_ids, action_ids, self.pad_id)
        ids, attn, position, mask = (t.to(self.device) for t in (ids, attn, position, mask))
        context = self.reference() if reference else nullcontext()
        use_frozen = self.frozen.enabled and frozen is not None and all(f is not None for f in frozen)
        with context:
            if use_frozen:
                assert frozen is not None
                for f, p, a in zip(frozen, prompt_ids, action_ids, strict=True):
                    if f.shape[0] != len(p) + len(a) - 1:
                        raise ValueError(f"frozen states of {f.shape[0]} tokens for a row of {len(p) + len(a) - 1}")
                states = FrozenSplit.layout(frozen, prompt_ids, p_width, ids.shape[1] - 1)
                last = self.frozen.top(states, attn[:, :-1], position[:, :-1])
            else:
                last = self._base().get_decoder()(input_ids=ids[:, :-1], attention_mask=attn[:, :-1],
                                                  position_ids=position[:, :-1], use_cache=False).last_hidden_state
            hidden = last[:, p_width - 1 :, :]  # predicts the action tokens
            logits = self._base().get_output_embeddings()(hidden).float() / temp
        logp_all = torch.log_softmax(logits, dim=-1)
        targets = ids[:, p_width:]
        logprobs = logp_all.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        entropy = -(logp_all.exp() * logp_all).sum(-1)
        values = None
        if with_values and not reference and self.value_head is not None:
            values = self.value_head(hidden)
        zero = torch.zeros((), device=logprobs.device)
        return ActionScores(logprobs.where(mask, zero), entropy.where(mask, zero),
                            values.where(mask, zero) if values is not None else None, mask)

    @torch.no_grad()
    def prompt_values(self, prompt_ids: Sequence[Sequence[int]]) -> list[float]:
        """Value of each prompt's state (at its last token), e.g. to bootstrap GAE at the end of a rollout."""
        if self.value_head is None:
            raise RuntimeError("this policy has no value head")
        ids, attn, position = (t.to(self.device) for t in left_pad(prompt_ids, self.pad_id))
        width = ids.shape[1]
        mask = torch.ones((width, width), dtype=torch.bool, device=self.device).tril()[None] & attn.bool()[:, None]
        mask = (mask | torch.eye(width, dtype=torch.bool, device=self.device)[None])[:, None]
        states = self.frozen.bottom(ids, mask, position)
        with self.compute_context():
            hidden = self.frozen.top_from(states, mask, position)
        return self.value_head(hidden[:, -1, :]).cpu().tolist()

    def state_values(self, conversations: Sequence[Conversation],
                     infos: Sequence[dict[str, Any]] | None = None) -> list[float]:
        """Value of the state each conversation describes (the prompt of its next action)."""
        del infos  # the value reads the prompt only
        if not conversations:
            return []
        return self.prompt_values([self.encode_prompt(c)[0] for c in conversations])

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the adapter (or full model without LoRA), the value head and ``policy.json`` to ``path``."""
        return save_policy(self, path)

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Load the adapter and value head written by :meth:`save` into this policy (same architecture)."""
        load_policy_weights(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> LLMPolicy:
        """Rebuild a policy saved with :meth:`save` (``overrides`` replace constructor arguments)."""
        policy = cls(**{**policy_kwargs(path), **overrides})
        policy.load_weights(path)
        return policy
