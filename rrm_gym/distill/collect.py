"""Collecting trajectories to judge: policy mixes on envs, and trajectories from JSONL files or run directories.

Env tasks come from the env's own splits: the ``train`` split feeds the training set, the ``test`` split (tasks the
env holds out) the validation set, so no task is in both. Each task gets ``per_task`` attempts by distinct policies
drawn from a weighted mix (see :mod:`rrm_gym.distill.policies`). Everything is seeded: the same settings give the
same records, which is what lets a run directory resume by skipping the keys it already has.

Imported trajectories (``rrm-gym judge`` JSONL, or the ``samples.jsonl`` of ``rrm-gym train`` run directories) are
replayed in their env when it is known and the task id resolves, which restores full observations, tool names and
the privileged reference; otherwise they are kept as recorded (a reference given in the file is used as is). Their
split is a stable hash of the task id.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rrm_gym.distill.policies import Policy, has_solver, make_policy
from rrm_gym.distill.records import read_records
from rrm_gym.types import Trajectory, Turn

__all__ = ["DEFAULT_MIX", "parse_mix", "env_tasks", "run_episode", "plan_env", "import_trajectories", "hash_split"]

DEFAULT_MIX: dict[str, float] = {
    "solver": 3.0, "solver:detour": 1.0, "solver:invalid": 1.0, "solver:repeat": 1.0, "solver:wrong": 2.0,
    "solver:unseen": 1.0, "solver:early": 1.0, "solver:placeholder": 0.5, "solver:noanswer": 0.5, "random": 1.5,
}
_DROP_INFO = frozenset({"valid_actions", "candidate_actions", "compact_observation", "question", "rrm", "trajectory"})
SPLIT_OF_ENV = {"train": "train", "test": "validation"}


def parse_mix(text: str | dict[str, float] | None) -> dict[str, float]:
    """``"solver=3,random=1"`` (or a dict) as ``{policy: weight}``; ``None`` or ``""`` is :data:`DEFAULT_MIX`.

    Example:
        >>> parse_mix("solver=2, solver:wrong=1")
        {'solver': 2.0, 'solver:wrong': 1.0}
    """
    if not text:
        return dict(DEFAULT_MIX)
    items = text.items() if isinstance(text, dict) else (p.partition("=")[::2] for p in text.split(",") if p.strip())
    mix = {str(k).strip(): float(v) for k, v in items}
    for name, weight in mix.items():
        make_policy(name) if name != "llm" else None  # raises on unknown names
        if weight < 0:
            raise ValueError(f"policy weight must be >= 0, got {name}={weight}")
    if not any(w > 0 for w in mix.values()):
        raise ValueError("the policy mix needs at least one positive weight")
    return mix


def hash_split(task_id: str | None, val_fraction: float) -> str:
    """``"validation"`` for a stable ``val_fraction`` of task ids, else ``"train"`` (all attempts of a task agree).

    Example:
        >>> hash_split("t1", 0.0), hash_split("t1", 1.0)
        ('train', 'validation')
    """
    digest = hashlib.sha256(str(task_id).encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2**64 < val_fraction else "train"


def _turn_info(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in _DROP_INFO and not k.startswith("_")}


def env_tasks(env: Any, split: str, count: int, seed: int, difficulty: str | None = None) -> list[str]:
    """``count`` distinct task ids of ``split``, drawn by resetting with seeds ``seed, seed + 1, ...``."""
    ids: list[str] = []
    options: dict[str, Any] = {"split": split}
    if difficulty:
        options["difficulty"] = difficulty
    for attempt in range(count * 20 + 20):
        _, info = env.reset(seed=seed + attempt, options=options)
        if info["task_id"] not in ids:
            ids.append(info["task_id"])
        if len(ids) >= count:
            break
    return ids


def run_episode(env: Any, policy: Policy, task_id: str, seed: int, max_steps: int,
                actions: list[str] | None = None) -> dict[str, Any]:
    """Run one attempt of ``policy`` (or replay ``actions``) on ``task_id``; return the record (no key yet).

    The record holds the trajectory as a wrapper would record it (outcome flags are in the turns' info, as in
    real runs; judges that must not read them drop them), the env's success flag and reward, and the privileged
    ``judge_reference()``.
    """
    obs, info = env.reset(seed=seed, options={"task_id": task_id})
    inner = env.unwrapped
    reference = inner.judge_reference() if hasattr(inner, "judge_reference") else None
    if actions is None:
        policy.start(inner, obs, info, random.Random(seed))
    question = str(info.get("question") or obs)
    turns: list[Turn] = []
    final, success, total = None, False, 0.0
    for step in range(max_steps if actions is None else len(actions)):
        action = policy.act(obs, info) if actions is None else actions[step]
        if action is None:
            break
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        turns.append(Turn(str(obs), str(action), float(reward), _turn_info(info)))
        if terminated or truncated:
            final = info.get("final_answer")
            success = bool(info.get("is_success", False))
            break
    traj = Trajectory(str(info.get("task_id", task_id)), question, tuple(turns), None if final is None else str(final))
    return {"task_id": traj.task_id, "policy": policy.name if actions is None else "replay", "success": success,
            "reward": total, "trajectory": traj.to_dict(), "reference": reference}


def plan_env(env_id: str, env: Any, *, split: str, tasks: int, per_task: int, mix: dict[str, float], seed: int,
             difficulty: str | None = None) -> Iterator[tuple[str, str, str, int]]:
    """The attempts to collect on one env split: ``(key, task_id, policy, episode_seed)`` each, deterministic.

    Policies that need a scripted solver are left out of the mix on envs without one.
    """
    solver = has_solver(env.unwrapped)
    weights = {p: w for p, w in mix.items() if w > 0 and (solver or not p.startswith("solver"))}
    if not weights:
        raise ValueError(f"no usable policy for {env_id}: it has no scripted solver; add random or llm to the mix")
    record_split = SPLIT_OF_ENV[split]
    for index, task_id in enumerate(env_tasks(env, split, tasks, seed + (0 if split == "train" else 10_000),
                                              difficulty)):
        rng = random.Random(f"{seed}|{env_id}|{task_id}")
        names, chosen = list(weights), []
        for _ in range(min(per_task, len(names))):
            pick = rng.choices(names, weights=[weights[n] for n in names])[0]
            chosen.append(pick)
            names.remove(pick)
        for k, name in enumerate(chosen):
            yield f"{env_id}|{record_split}|{task_id}|{k}", task_id, name, seed * 1_000_003 + index * 97 + k


def _samples(path: Path) -> Iterator[dict[str, Any]]:
    """Trajectory dicts of the attempts in a run directory's ``samples.jsonl``."""
    for episode in read_records(path):
        for attempt in episode.get("attempts") or []:
            turns = [{"observation": t.get("observation", ""), "action": t.get("action", ""),
                      "reward": t.get("reward", 0.0), "info": {}} for t in attempt.get("turns") or []]
            yield {"task_id": episode.get("task_id"), "question": episode.get("question", ""), "turns": turns,
                   "final_answer": attempt.get("final_answer"), "success": attempt.get("is_success"),
                   "policy": f"run:{path.parent.name}"}


def _run_env(folder: Path) -> str | None:
    config = folder / "config.yaml"
    if not config.is_file():
        return None
    import yaml

    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    return data.get("env") if isinstance(data, dict) else None


def import_trajectories(source: str | Path, default_env: str | None = None) -> Iterator[tuple[str | None,
                                                                                                dict[str, Any]]]:
    """``(env_id or None, item)`` for each trajectory of a JSONL file or a run directory (``samples.jsonl``).

    An item is a trajectory dict (``Trajectory.to_dict``) or a request dict (``question``, ``trajectory``,
    ``reference``), optionally with ``env``, ``success`` and ``policy`` keys.
    """
    path = Path(source)
    if path.is_dir():
        env_id = _run_env(path) or default_env
        for item in _samples(path / "samples.jsonl"):
            yield env_id, item
        return
    for item in read_records(path):
        yield item.get("env") or default_env, item


def imported_record(item: dict[str, Any], env: Any | None, max_steps: int) -> dict[str, Any]:
    """A record from an imported item: replayed in ``env`` when possible, else as recorded."""
    data = item.get("trajectory") if isinstance(item.get("trajectory"), dict) else item
    traj = Trajectory.from_dict({**data, "question": data.get("question", item.get("question", ""))})
    if env is not None and traj.task_id is not None:
        try:
            record = run_episode(env, make_policy("random"), traj.task_id, 0, max_steps,
                                 actions=[t.action for t in traj.turns])
            record["policy"] = str(item.get("policy") or "imported")
            return record
        except Exception:  # noqa: BLE001 - unknown task id or a foreign env: keep the trajectory as recorded
            pass
    last = traj.turns[-1].info if traj.turns else {}
    success = item.get("success", last.get("is_success"))
    if success is None:
        success = bool(traj.turns and traj.turns[-1].reward >= 1.0)
    return {"task_id": traj.task_id, "policy": str(item.get("policy") or "imported"), "success": bool(success),
            "reward": float(sum(t.reward for t in traj.turns)), "trajectory": traj.to_dict(),
            "reference": item.get("reference")}
