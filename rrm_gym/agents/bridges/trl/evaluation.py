"""Evaluate a model the way the TRL bridge trains it: chat with tool schemas, tool calls parsed by TRL's parser.

Each episode is a conversation ``[system, user: first observation]``; the model's reply is parsed with
``trl.chat_template_utils.parse_response`` (as ``GRPOTrainer`` does) and sent to an
:class:`~rrm_gym.agents.bridges.trl.env.RRMEnvironment` (plain env, no feedback) as the attempt rollout
(:mod:`~.rollout`) sends it: each tool call is one env step whose result comes back as a ``tool`` message, and a
reply without a tool call is sent as text, its observation coming back as a ``user`` message. The episode ends when
the env ends it or after ``max_turns`` replies. Episodes are generated in batches (left padding, greedy).
"""

from __future__ import annotations

from typing import Any

__all__ = ["evaluate_tool_model"]


def evaluate_tool_model(
    model: Any,
    tokenizer: Any,
    env_id: str,
    episodes: int,
    split: str = "test",
    seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
    *,
    max_turns: int = 8,
    max_new_tokens: int = 64,
    batch_size: int = 8,
    progress: bool = False,
) -> dict[str, Any]:
    """Greedy success rate (Wilson 95% CI) of a tool-calling chat model on ``episodes`` tasks of ``split``.

    Args:
        model: A causal LM (plain or peft).
        tokenizer: Its tokenizer with a tool-calling chat template (see
            :func:`rrm_gym.agents.bridges.trl.prepare.prepare_tokenizer`).
        env_id: The env.
        episodes: Number of episodes (episode ``k`` resets with ``seed + k``).
        split: Task split.
        seed: First reset seed.
        env_kwargs: ``gym.make`` kwargs.
        max_turns: Model replies per episode before it counts as failed.
        max_new_tokens: Longest reply.
        batch_size: Episodes generated together.
        progress: Show a progress bar.

    Returns:
        ``EvalResult.to_dict()``.
    """
    import torch
    from trl.chat_template_utils import add_response_schema, parse_response

    from rrm_gym.agents.bridges.trl.env import SYSTEM_PROMPT_TRL, environment_factory, tool_functions
    from rrm_gym.agents.run.eval_result import summarise_results

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if getattr(tokenizer, "response_template", None) is None and getattr(tokenizer, "response_schema", None) is None:
        add_response_schema(tokenizer)
    tokenizer.padding_side = "left"
    factory = environment_factory(env_id, feedback="none", split=split, **(env_kwargs or {}))
    tools = tool_functions(factory.env_class)
    device = next(model.parameters()).device
    results: list[tuple[str, bool, float, int]] = []
    from rich.progress import Progress

    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"eval {env_id}", total=episodes)
        for start in range(0, episodes, batch_size):
            envs, convs, turns = [], [], []
            for k in range(start, min(episodes, start + batch_size)):
                env = factory()
                obs = env.reset(seed=seed + k, split=split)
                envs.append(env)
                convs.append([{"role": "system", "content": SYSTEM_PROMPT_TRL}, {"role": "user", "content": obs}])
                turns.append(0)
            active = list(range(len(envs)))
            while active:
                prompts = [tokenizer.apply_chat_template(convs[i], tools=tools, add_generation_prompt=True,
                                                         tokenize=False) for i in active]
                enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
                with torch.no_grad():
                    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                         pad_token_id=tokenizer.pad_token_id)
                width = enc["input_ids"].shape[1]
                still = []
                for row, i in enumerate(active):
                    prefix = enc["input_ids"][row][enc["attention_mask"][row].bool()].tolist()
                    ids = [t for t in out[row, width:].tolist() if t != tokenizer.pad_token_id]
                    reply = parse_response(tokenizer, ids, prefix=prefix, tools=tools)
                    turns[i] += 1
                    convs[i].append(reply)
                    convs[i] += envs[i]._reply(reply)  # tool results, or the env's answer to plain text
                    if not envs[i]._done and turns[i] < max_turns:
                        still.append(i)
                active = still
            for env, n in zip(envs, turns, strict=True):
                ep = env._last_episode
                results.append((str(ep["task_id"]) if ep else "", bool(ep and ep["success"]),
                                float(ep["return_env"]) if ep else 0.0, n))
                bar.advance(task)
    return summarise_results(results, env_id, split).to_dict()
