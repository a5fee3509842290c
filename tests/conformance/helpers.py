"""Random candidate actions for the user envs (free text where an env offers none)."""

from __future__ import annotations

import random
from typing import Any

from rrm_gym.envs.candidates import candidate_actions

FREE_TEXT_GUESS = "tac"


def pick(info: dict[str, Any], rng: random.Random) -> str:
    """A random candidate action of ``info``, or a free-text guess when the env offers none."""
    cands = candidate_actions(info)
    return rng.choice(cands) if cands else FREE_TEXT_GUESS


def play(env: Any, seed: int, max_steps: int = 30) -> list[tuple[str, dict[str, Any]]]:
    """One episode (every attempt) of random candidate actions: ``(observation, info)`` of the reset and each step."""
    rng = random.Random(seed)
    obs, info = env.reset(seed=seed)
    steps = [(obs, info)]
    for _ in range(max_steps):
        obs, _, terminated, truncated, info = env.step(pick(info, rng))
        steps.append((obs, info))
        if terminated or truncated:
            break
    return steps
