"""What ``rrm-gym judge`` reads: one JSON object per line, in any of three shapes, or a run directory.

1. A trajectory, as ``Trajectory.to_dict()`` writes it: ``{"task_id", "question", "turns": [{"observation",
   "action", "reward", "info"}, ...], "final_answer"}``.
2. A judge request, as ``JudgeRequest.to_dict()`` writes it: ``{"question", "trajectory": {...}, "reference"}``
   (the reference is privileged task data, read only by the reference judge).
3. An episode of a run's ``samples.jsonl`` (what ``rrm-gym train`` writes): ``{"task_id", "question", "attempts":
   [{"attempt", "turns": [{"action", "observation", "reward"}], "final_answer", ...}, ...]}``; every attempt is
   judged on its own. The samples keep no turn infos (which tool ran, which page opened) and no reference, so when
   the env is known (``--env``, or the run's ``config.yaml`` next to the file) each attempt is replayed in it by
   ``task_id`` to recover both; an attempt whose replay does not reproduce the recorded observations is judged
   from the recorded turns alone.

A line that is not JSON, not an object, or none of the three shapes is kept as an error that says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rrm_gym.types import JudgeRequest, Trajectory, Turn

__all__ = ["Item", "read_items", "resolve_input", "Replayer"]

_PREFIX = 80  # leading characters of each recorded observation a replay must reproduce


@dataclass
class Item:
    """One thing to judge (``request``) or one input problem (``error``), with where it came from."""

    line: int
    attempt: int | None = None
    request: JudgeRequest | None = None
    error: str | None = None
    replayed: bool = False


def resolve_input(path: Path, env: str | None) -> tuple[Path, str | None, dict[str, Any]]:
    """``(jsonl file, env id for replays, env kwargs)``: a run directory means its ``samples.jsonl`` and env."""
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        path = path / "samples.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"{folder} has no samples.jsonl (give a JSONL file or an rrm-gym run directory)")
    kwargs: dict[str, Any] = {}
    if (folder / "config.yaml").is_file():
        from rrm_gym.agents.run.config import TrainConfig

        try:
            config = TrainConfig.load(folder / "config.yaml")
        except ValueError:
            config = None
        if config is not None and (env is None or env == config.env):
            env, kwargs = config.env, config.env_kwargs_resolved()
    return path, env, kwargs


class Replayer:
    """Replays recorded actions of a task in a fresh env to recover the turn infos and the reference."""

    def __init__(self, env_id: str, env_kwargs: dict[str, Any] | None = None) -> None:
        from rrm_gym.envs.from_id import make_task_env

        # split / difficulty / task_id are reset options there, never kwargs a foreign constructor does not take
        self.env = make_task_env(env_id, **(env_kwargs or {}))

    def replay(self, task_id: str, actions: list[str],
               observations: list[str]) -> tuple[Trajectory, dict[str, Any] | None] | None:
        """The replayed trajectory and the task's reference, or ``None`` when the replay does not match."""
        try:
            obs, info = self.env.reset(options={"task_id": task_id})
            turns = []
            for action, seen in zip(actions, observations, strict=True):
                obs, reward, _, _, step_info = self.env.step(action)
                if str(obs)[:_PREFIX] != str(seen)[:_PREFIX] and not str(seen).startswith("(the attempt ended"):
                    return None
                turns.append(Turn(str(obs), str(action), float(reward), _public(step_info)))
            final = next((str(t.info["final_answer"]) for t in reversed(turns) if t.info.get("final_answer")), None)
            hook = getattr(self.env.unwrapped, "judge_reference", None)
            reference = hook() if callable(hook) else None
        except Exception:  # noqa: BLE001 - any env trouble: judge the recorded turns instead
            return None
        return Trajectory(task_id, str(info.get("question") or ""), tuple(turns), final), reference

    def close(self) -> None:
        """Close the env."""
        self.env.close()


def _public(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k not in ("valid_actions", "candidate_actions") and k[:1] != "_"}


def _sample_items(number: int, data: dict[str, Any], replayer: Replayer | None) -> list[Item]:
    attempts = data["attempts"]
    if not isinstance(attempts, list) or not attempts:
        return [Item(number, error=f"line {number}: 'attempts' must be a non-empty list of attempts")]
    question = str(data.get("question") or "")
    task_id = None if data.get("task_id") is None else str(data["task_id"])
    items = []
    for k, att in enumerate(attempts, 1):
        if not isinstance(att, dict) or not isinstance(att.get("turns"), list):
            items.append(Item(number, k, error=f"line {number}, attempt {k}: no 'turns' list"))
            continue
        actions = [str(t.get("action", "")) for t in att["turns"]]
        seen = [str(t.get("observation", "")) for t in att["turns"]]
        replayed = replayer.replay(task_id, actions, seen) if (replayer and task_id) else None
        if replayed is not None:
            traj, reference = replayed
            traj = Trajectory(traj.task_id, question or traj.question, traj.turns, traj.final_answer)
            items.append(Item(number, int(att.get("attempt", k)), JudgeRequest(traj.question, traj, reference),
                              replayed=True))
            continue
        turns = tuple(Turn(o, a, float(t.get("reward", 0.0))) for a, o, t in zip(actions, seen, att["turns"],
                                                                                    strict=True))
        final = att.get("final_answer")
        traj = Trajectory(task_id, question, turns, None if final is None else str(final))
        items.append(Item(number, int(att.get("attempt", k)), JudgeRequest(question, traj, None)))
    return items


def _parse(number: int, line: str, replayer: Replayer | None) -> list[Item]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return [Item(number, error=f"line {number}: not JSON ({exc.msg} at column {exc.colno})")]
    if not isinstance(data, dict):
        return [Item(number, error=f"line {number}: not a trajectory: a JSON {type(data).__name__}, not an object")]
    if "attempts" in data:
        return _sample_items(number, data, replayer)
    if "trajectory" not in data and ("question" not in data or "turns" not in data):
        keys = ", ".join(sorted(map(str, data))[:8]) or "none"
        return [Item(number, error=f"line {number}: not a trajectory: needs 'question' and 'turns' (a trajectory), "
                                  f"'trajectory' (a judge request) or 'attempts' (a samples.jsonl episode); "
                                  f"its keys: {keys}")]
    try:
        return [Item(number, request=JudgeRequest.from_dict(data))]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return [Item(number, error=f"line {number}: not a trajectory: {exc}")]


def read_items(path: Path, env: str | None = None, env_kwargs: dict[str, Any] | None = None) -> list[Item]:
    """Every line of ``path`` as items to judge or errors (see the module docstring); blank lines are skipped."""
    replayer: Replayer | None = None
    tried = False
    items: list[Item] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                if not tried and env and '"attempts"' in line:
                    tried = True
                    try:
                        replayer = Replayer(env, env_kwargs)
                    except Exception:  # noqa: BLE001 - an env that cannot be built: judge the recorded turns
                        replayer = None
                items.extend(_parse(number, line, replayer))
    finally:
        if replayer is not None:
            replayer.close()
    return items
