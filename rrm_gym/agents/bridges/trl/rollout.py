r"""Reagent's GRPO groups in TRL: ``GRPOTrainer(rollout_func=...)`` with every attempt of a task as its own member.

In Reagent-U (arXiv 2601.22154) each attempt, initial or refined, is scored outcome + λ·score, and the initial and
the refined attempts of one task are normalised together: n samples give a group of 2n members. TRL's
``environment_factory`` cannot express that: its tool loop extends each row's ``completion_ids`` in place
(trl 1.16 ``grpo_trainer.py`` line 2163, ``_tool_call_loop``), so the refinement that the feedback wrapper starts
is a continuation of the same row, and the trainer takes exactly one reward per row (line 1634,
``_calculate_rewards``); :func:`~.env.shaped_reward` can only sum the attempts. A ``rollout_func`` can: it returns
the rows itself (line 2210), and rows may have different ``prompt_ids``.

How a group is laid out. TRL's ``RepeatSampler`` repeats every dataset row ``num_generations`` (G) times (line
1311), and ``rollout_func`` gets those rows (line 2338: not deduplicated, despite its docstring) and must return one
row for each, in the same order; advantages are then normalised over each block of G consecutive rows
(``rewards.view(-1, num_generations)``, line 2765). With A attempts per sample
(A = 1 + ``max_refinements`` under C and U, else 1) a block holds n = G / A samples of the same task, attempt-major::

    row:      0        1       ...  n-1      n        ...  2n-1     (G = 2n, A = 2)
    attempt:  1        1            1        2             2
    sample:   0        1            n-1      0             n-1
    prompt:   [system, question + tools]     [system, question + previous attempt n°k + critique]
    reward:   outcome + λ·score of that attempt alone (R/U), outcome alone (C)

Sample k's n refined rows use the feedback wrapper's own refinement observation (the task again, the previous
attempt, the critique) as their user message, so the refinement is conditioned exactly as in the paper; the
initial attempts are not in the refined rows' context. Within a row, model tokens have ``env_mask`` 1 and the
tool results / observations between replies have ``env_mask`` 0 (TRL's ``tool_mask``, line 2272), so only model
tokens are trained.

What each turn is. Prompts are rendered with the env's tools in the chat template and replies are parsed with
TRL's ``parse_response``, as in TRL's tool loop and in :func:`~.evaluation.evaluate_tool_model`; every tool call
is one env step (its result comes back as a ``tool`` message) and a reply without a tool call is sent to the env
as text (its observation comes back as a ``user`` message). An attempt ends when the env ends it; one that is
still open after ``max_turns`` replies or ``max_completion_length`` completion tokens is ended with an empty final
answer (``\boxed{}``, logged as ``rrm_forced``), so it is judged and refined like any failed attempt. Token ids
are concatenated, never re-tokenised. ``logprobs`` are real sampling log-probabilities (0.0 on env tokens).

The dataset comes from :meth:`ReagentRollout.make_dataset`: TRL passes only the prompts to a ``rollout_func``, so
each prompt is the task's first observation and the rollout maps it back to the reset seed. The samples of a group
play the same task; attempts whose episode already ended (``on_error="skip"`` stops refining after a failed
judgement) return a one-token row with reward ``None``, which TRL leaves out of the group's baseline and gives
advantage 0 (line 2810).

Example:
    >>> from rrm_gym.agents.bridges.trl.rollout import attempt_reward, reagent_rollout_func
    >>> rollout = reagent_rollout_func("rrm/WebWalker-v0", feedback="unified", judge="reference",
    ...                                difficulty="easy")
    >>> rollout.attempts, len(rollout.make_dataset(2))
    (2, 2)
    >>> # GRPOTrainer(model, reward_funcs=attempt_reward, train_dataset=rollout.make_dataset(64),
    >>> #             rollout_func=rollout, args=make_grpo_config(out, num_generations=4))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rrm_gym.agents.bridges.trl.env import (
    SYSTEM_PROMPT_TRL,
    EnvironmentFactory,
    RRMEnvironment,
    environment_factory,
    tool_functions,
)
from rrm_gym.agents.bridges.trl.generation import generate_replies, turn_suffix_ids

__all__ = ["ReagentRollout", "reagent_rollout_func", "attempt_reward"]

GIVE_UP_ACTION = "\\boxed{}"
_MAX_FORCED_STEPS = 64
_FIELDS = ("rrm_reward", "rrm_attempt", "rrm_sample", "rrm_reward_env", "rrm_score", "rrm_success", "rrm_forced")


@dataclass
class _Attempt:
    """One attempt being played: its prompt and the completion built so far."""

    env: RRMEnvironment
    number: int
    prompt_ids: list[int]
    ids: list[int] = field(default_factory=list)
    mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    turns: int = 0
    done: bool = False
    forced: bool = False
    next_obs: str = ""

    def add(self, ids: list[int], logprobs: list[float], model: bool) -> None:
        self.ids += ids
        self.logprobs += logprobs
        self.mask += [int(model)] * len(ids)

    def ended(self) -> bool:
        return self.env._done or self.env._attempt != self.number


class ReagentRollout:
    """A TRL ``rollout_func`` whose GRPO groups hold the initial and the refined attempts of each task.

    Args:
        factory: The environments (env, feedback mode, judge) from
            :func:`~rrm_gym.agents.bridges.trl.env.environment_factory`.
        max_turns: Model replies per attempt (default: ``max_tool_calling_iterations + 1`` of the trainer's
            config, else 10, the paper's tool-turn limit).
        max_reply_tokens: Most tokens of one reply (default: what is left of ``max_completion_length``).

    Attributes:
        attempts: Attempts per sample (group members per sample): 1 + ``max_refinements`` under C/U, else 1.
        factory: The environment factory (its ``env_steps`` and ``pop_finished()`` serve the runner).
    """

    def __init__(self, factory: EnvironmentFactory, *, max_turns: int | None = None,
                 max_reply_tokens: int | None = None) -> None:
        settings = factory.env_class._settings
        refine = settings["feedback"] in ("critique", "unified")
        self.factory = factory
        self.attempts = 1 + int(settings["max_refinements"]) if refine else 1
        self.max_turns = max_turns
        self.max_reply_tokens = max_reply_tokens
        self.tools = tool_functions(factory.env_class)
        self._tasks: dict[str, dict[str, Any]] = {}
        self._pool: list[RRMEnvironment] = []

    # ------------------------------------------------------------------ setup
    def make_dataset(self, num_tasks: int, seed: int = 0, split: str | None = None,
                     system_prompt: str | None = SYSTEM_PROMPT_TRL) -> Any:
        """A ``datasets.Dataset`` of ``num_tasks`` prompts ``[system, user: the task's first observation]``.

        Row ``i`` is the task of reset seed ``seed + i``; the rollout keeps the map from prompt to seed.
        """
        from datasets import Dataset

        if num_tasks < 1:
            raise ValueError(f"num_tasks must be >= 1, got {num_tasks}")
        env = self.factory()
        prompts, seeds = [], []
        for i in range(num_tasks):
            kwargs = {"seed": seed + i, "split": split}
            obs = env.reset(**kwargs)
            self._tasks.setdefault(obs, kwargs)
            prompts.append(([{"role": "system", "content": system_prompt}] if system_prompt else [])
                           + [{"role": "user", "content": obs}])
            seeds.append(seed + i)
        return Dataset.from_dict({"prompt": prompts, "seed": seeds})

    def check_config(self, args: Any) -> None:
        """Raise ``ValueError`` unless a ``GRPOConfig`` gives every process whole groups of whole samples."""
        groups = int(args.num_generations)
        if groups % self.attempts:
            raise ValueError(f"num_generations={groups} must be a multiple of the {self.attempts} attempts per "
                             f"sample (initial + refinements): a group is n samples x {self.attempts} attempts")
        local = int(args.per_device_train_batch_size) * int(args.steps_per_generation)
        if local % groups:
            raise ValueError(f"per_device_train_batch_size x steps_per_generation = {local} must be a multiple of "
                             f"num_generations={groups}, so that each process plays whole groups")

    # ------------------------------------------------------------------ the rollout
    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        """Play the attempts of every group in ``prompts`` (each prompt repeated ``num_generations`` times).

        Returns:
            ``prompt_ids``, ``completion_ids``, ``logprobs``, ``env_mask`` and, per row, ``rrm_reward`` (the
            attempt's own shaped reward), ``rrm_attempt``, ``rrm_sample``, ``rrm_reward_env``, ``rrm_score``,
            ``rrm_success`` and ``rrm_forced`` (TRL forwards them to the reward functions).
        """
        from trl.chat_template_utils import add_response_schema

        tok = trainer.processing_class
        if getattr(tok, "response_template", None) is None and getattr(tok, "response_schema", None) is None:
            add_response_schema(tok)
        size = trainer.num_generations if trainer.model.training else trainer.num_generations_eval
        if size % self.attempts or len(prompts) % size:
            raise ValueError(f"{len(prompts)} prompts in groups of {size} cannot hold whole groups of "
                             f"{self.attempts} attempts per sample; see ReagentRollout.check_config")
        per = size // self.attempts
        samples: list[tuple[list[dict[str, Any]], RRMEnvironment]] = []
        observations: list[str] = []
        for start in range(0, len(prompts), size):
            block = prompts[start:start + size]
            if any(p != block[0] for p in block):
                raise ValueError("the prompts of a group differ: rollout_func expects each prompt repeated "
                                 "num_generations times (TRL's RepeatSampler)")
            messages, kwargs = self._task(block[0])
            for _ in range(per):
                env = self._env(len(samples))
                observations.append(env.reset(**kwargs))
                samples.append((messages, env))
        played: list[list[_Attempt | None]] = []
        for number in range(1, self.attempts + 1):
            attempts: list[_Attempt | None] = []
            for (messages, env), obs in zip(samples, observations, strict=True):
                if env._done:
                    attempts.append(None)  # the episode ended early (no refinement after a skipped judgement)
                    continue
                conv = messages[:-1] + [{"role": "user", "content": obs}]
                ids = tok.apply_chat_template(conv, tools=self.tools, add_generation_prompt=True, tokenize=True,
                                              return_dict=False, **_template_kwargs(trainer))
                attempts.append(_Attempt(env, number, list(ids)))
            self._play([a for a in attempts if a is not None], trainer)
            observations = [a.next_obs if a is not None else "" for a in attempts]
            played.append(attempts)
        return self._rows(played, per, trainer)

    def _play(self, attempts: list[_Attempt], trainer: Any) -> None:
        """Generate and step all ``attempts`` together, turn by turn, until each has ended."""
        tok = trainer.processing_class
        budget = int(trainer.max_completion_length)
        reply_cap = int(self.max_reply_tokens or budget)
        turns = self._max_turns(trainer)
        lockstep = bool(getattr(trainer, "use_vllm", False)) and trainer.accelerator.num_processes > 1
        eos = [int(tok.eos_token_id)]  # the end-of-turn token the chat template closes a reply with
        active = [a for a in attempts if not a.ended()]
        for _ in range(turns):
            if not active and not lockstep:
                break
            replies = generate_replies(trainer, [a.prompt_ids + a.ids for a in active],
                                       [max(1, min(reply_cap, budget - len(a.ids))) for a in active])
            still = []
            for att, reply in zip(active, replies, strict=True):
                prefix = att.prompt_ids + att.ids
                att.add(reply.ids, reply.logprobs, model=True)
                att.turns += 1
                messages = self._step(att, tok, reply.ids, prefix)
                if att.done or att.turns >= turns:
                    continue
                suffix = ([] if reply.ended else eos) + turn_suffix_ids(tok, messages, self.tools,
                                                                          **_template_kwargs(trainer))
                if len(att.ids) + len(suffix) >= budget:
                    continue
                att.add(suffix, [0.0] * len(suffix), model=False)
                still.append(att)
            active = still
        for att in attempts:
            if not att.done:
                _force_end(att)

    def _step(self, att: _Attempt, tok: Any, reply_ids: list[int], prefix: list[int]) -> list[dict[str, Any]]:
        """Parse a reply as TRL does and send it to the env; return the messages that answer it."""
        from trl.chat_template_utils import parse_response

        messages = att.env._reply(parse_response(tok, reply_ids, prefix=prefix, tools=self.tools))
        if att.ended():
            att.done, att.next_obs = True, str(messages[-1]["content"])
        return messages

    def _rows(self, played: list[list[_Attempt | None]], per: int, trainer: Any) -> dict[str, list[Any]]:
        eos = [int(trainer.processing_class.eos_token_id)]
        out: dict[str, list[Any]] = {k: [] for k in ("prompt_ids", "completion_ids", "logprobs", "env_mask",
                                                     *_FIELDS)}
        for group in range(len(played[0]) // per):
            for number, attempts in enumerate(played, start=1):
                for k in range(per):
                    att = attempts[group * per + k]
                    if att is None:  # no such attempt: a row that scores nothing and trains nothing
                        prompt, ids, lps, mask = played[0][group * per + k].prompt_ids, eos, [0.0], [0]
                        record, reward, forced = {}, None, False
                    else:
                        prompt, ids, lps, mask = att.prompt_ids, att.ids, att.logprobs, att.mask
                        reward, forced = float(att.env._attempt_returns[number - 1]), att.forced
                        record = _attempt_record(att.env, number)
                    out["prompt_ids"].append(prompt)
                    out["completion_ids"].append(ids)
                    out["logprobs"].append(lps)
                    out["env_mask"].append(mask)
                    out["rrm_reward"].append(reward)
                    out["rrm_attempt"].append(number)
                    out["rrm_sample"].append(k)
                    out["rrm_reward_env"].append(record.get("reward_env"))
                    out["rrm_score"].append(record.get("score") if record.get("judge_ok", True) else None)
                    out["rrm_success"].append(record.get("is_success"))
                    out["rrm_forced"].append(forced)
        return out

    # ------------------------------------------------------------------ helpers
    def _task(self, prompt: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
        key = str(messages[-1].get("content", "")) if messages else ""
        if key not in self._tasks:
            raise ValueError("this prompt is not one of ReagentRollout.make_dataset's: TRL gives a rollout_func only "
                             "the prompts, so the rollout finds each task's reset seed from its prompt")
        return messages, self._tasks[key]

    def _env(self, index: int) -> RRMEnvironment:
        while len(self._pool) <= index:
            self._pool.append(self.factory())
        return self._pool[index]

    def _max_turns(self, trainer: Any) -> int:
        if self.max_turns is not None:
            return max(1, int(self.max_turns))
        iterations = getattr(trainer.args, "max_tool_calling_iterations", None)
        return 10 if iterations is None else int(iterations) + 1


def _template_kwargs(trainer: Any) -> dict[str, Any]:
    return dict(getattr(trainer, "chat_template_kwargs", None) or {})


def _force_end(att: _Attempt) -> None:
    """End an attempt that ran out of turns or tokens with an empty final answer (the env may need a few)."""
    for _ in range(_MAX_FORCED_STEPS):
        if att.ended():
            att.done = True
            return
        att.next_obs = att.env._act(GIVE_UP_ACTION)
        att.forced = True
    if not att.ended():
        raise RuntimeError(f"the env did not end the attempt after {_MAX_FORCED_STEPS} {GIVE_UP_ACTION!r} actions; "
                           "give it a time limit (max_episode_steps)")
    att.done = True


def _attempt_record(env: RRMEnvironment, number: int) -> dict[str, Any]:
    """The episode log's record of attempt ``number`` (reward_env, reward_rrm, score, is_success, critique)."""
    episode = env._last_episode or env._tracker.episode or {}
    attempts = episode.get("attempts") or []
    return dict(attempts[number - 1]) if len(attempts) >= number else {}


def reagent_rollout_func(
    env_id: str,
    feedback: str = "unified",
    judge: Any = "reference",
    lam: float = 0.3,
    max_refinements: int = 1,
    *,
    on_error: str = "neutral",
    judge_kwargs: dict[str, Any] | None = None,
    split: str = "train",
    max_turns: int | None = None,
    max_reply_tokens: int | None = None,
    **env_kwargs: Any,
) -> ReagentRollout:
    """A :class:`ReagentRollout` on ``env_id`` with C/R/U feedback (arguments as in ``environment_factory``).

    Use it as ``GRPOTrainer(rollout_func=..., reward_funcs=attempt_reward, train_dataset=rollout.make_dataset(N))``
    with ``num_generations`` = n samples x ``rollout.attempts``.
    """
    factory = environment_factory(env_id, feedback=feedback, judge=judge, lam=lam, max_refinements=max_refinements,
                                  on_error=on_error, judge_kwargs=judge_kwargs, split=split, **env_kwargs)
    return ReagentRollout(factory, max_turns=max_turns, max_reply_tokens=max_reply_tokens)


def attempt_reward(completions: list[Any], rrm_reward: list[float | None] | None = None,
                   **kwargs: Any) -> list[float | None]:
    """TRL reward function for :class:`ReagentRollout`: each row's own attempt reward, as the wrapper computed it.

    Also logs ``rrm/reward_env``, ``rrm/success`` (of each sample's last attempt), ``rrm/success_attempt{k}``,
    ``rrm/judge_score`` and ``rrm/forced_end`` when TRL passes ``log_metric``.
    """
    if rrm_reward is None:
        raise ValueError("attempt_reward needs the rows' rrm_reward: use it with "
                         "GRPOTrainer(rollout_func=rrm_gym.agents.bridges.trl.rollout.reagent_rollout_func(...))")
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        attempt = list(kwargs.get("rrm_attempt") or [1] * len(rrm_reward))
        success = list(kwargs.get("rrm_success") or [None] * len(rrm_reward))
        last = max(attempt) if attempt else 1

        def mean(values: list[Any]) -> float | None:
            values = [float(v) for v in values if v is not None]
            return sum(values) / len(values) if values else None

        stats = {"rrm/reward_env": mean(list(kwargs.get("rrm_reward_env") or [])),
                 "rrm/success": mean([s for s, a in zip(success, attempt, strict=True) if a == last]),
                 "rrm/judge_score": mean(list(kwargs.get("rrm_score") or [])),
                 "rrm/forced_end": mean(list(kwargs.get("rrm_forced") or []))}
        if last > 1:
            for k in range(1, last + 1):
                stats[f"rrm/success_attempt{k}"] = mean([s for s, a in zip(success, attempt, strict=True) if a == k])
        for name, value in stats.items():
            if value is not None:
                log_metric(name, value)
    return [None if r is None else float(r) for r in rrm_reward]
