"""Labelling trajectories with a teacher judge, and the labelled set as JSONL and Hugging Face ``datasets``.

The teacher is any judge (:func:`rrm_gym.judges.make`); the default, the reference judge, reads the privileged
reference for its score and writes its critique and trace from the question and the trajectory alone, so its raw
``<think>…</think><critique>…</critique><score>…</score>`` text is a target a student that never sees the reference
may learn. A teacher failure (``ok=False``) is kept in the file with its error and left out of training.

The split is by task: every attempt of a task is in the same split (env tasks: the env's ``train`` / ``test``
split; imported ones: a hash of the task id), and :func:`check_split` refuses a set where a task is in both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rrm_gym.distill.records import JsonlFile, request_of

__all__ = ["label_records", "check_split", "split_records", "save_dataset", "load_labelled", "usable"]


def label_records(records: Iterable[dict[str, Any]], teacher: Any, out: JsonlFile, *, batch_size: int = 16,
                  advance: Callable[[int], None] | None = None) -> int:
    """Judge every record not yet in ``out`` with ``teacher`` and append it with its ``teacher`` judgement.

    Args:
        records: Collected records (see :mod:`rrm_gym.distill.records`).
        teacher: The teacher judge.
        out: The labelled file; records whose key it holds are skipped (resuming).
        batch_size: Requests per teacher call.
        advance: Called with the number of records done after each batch (a progress bar).

    Returns:
        The number of records labelled by this call.
    """
    from rrm_gym.judges import call_judge

    todo = [r for r in records if str(r["key"]) not in out]
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        judgements = call_judge(teacher, [request_of(r) for r in chunk], on_error="neutral")
        for record, judgement in zip(chunk, judgements, strict=True):
            out.append({**record, "teacher": judgement.to_dict()})
        if advance is not None:
            advance(len(chunk))
    return len(todo)


def usable(record: dict[str, Any]) -> bool:
    """Whether a labelled record has a parsed teacher judgement (a score and a raw text to learn)."""
    teacher = record.get("teacher") or {}
    return bool(teacher.get("ok")) and teacher.get("score") is not None and bool(teacher.get("raw"))


def check_split(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Count records per split; raise ``ValueError`` when one task (env + task id) is in two splits.

    Example:
        >>> check_split([{"env": "e", "task_id": "a", "split": "train"}, {"env": "e", "task_id": "b",
        ...              "split": "validation"}])
        {'train': 1, 'validation': 1}
    """
    where: dict[tuple[Any, Any], str] = {}
    counts: dict[str, int] = {}
    for r in records:
        task = (r.get("env"), r.get("task_id"))
        split = str(r.get("split"))
        if r.get("task_id") is not None and where.setdefault(task, split) != split:
            raise ValueError(f"task {task[1]!r} of {task[0]} is in both the {where[task]} and the {split} split")
        counts[split] = counts.get(split, 0) + 1
    return counts


def split_records(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The records by split (``train``, ``validation``), after :func:`check_split`."""
    rows = list(records)
    check_split(rows)
    out: dict[str, list[dict[str, Any]]] = {"train": [], "validation": []}
    for r in rows:
        out.setdefault(str(r.get("split")), []).append(r)
    return out


def _row(record: dict[str, Any]) -> dict[str, Any]:
    """A flat ``datasets`` row: nested parts as JSON text (their shape differs between envs)."""
    from rrm_gym.judges.prompt import build_messages

    teacher = record.get("teacher") or {}
    request = request_of(record)
    return {
        "key": str(record["key"]), "env": str(record.get("env") or ""), "task_id": str(record.get("task_id") or ""),
        "split": str(record.get("split")), "policy": str(record.get("policy") or ""),
        "success": bool(record.get("success")), "reward": float(record.get("reward") or 0.0),
        "question": request.question, "trajectory": json.dumps(record["trajectory"], ensure_ascii=False),
        "reference": json.dumps(record.get("reference"), ensure_ascii=False),
        "teacher_ok": bool(teacher.get("ok")), "teacher_score": teacher.get("score"),
        "teacher_raw": str(teacher.get("raw") or ""), "teacher_critique": str(teacher.get("critique") or ""),
        "prompt": build_messages(request),  # what an LLM judge sees: question + trajectory, never the reference
        "completion": [{"role": "assistant", "content": str(teacher.get("raw") or "")}],
    }


def save_dataset(splits: dict[str, list[dict[str, Any]]], folder: str | Path) -> Path:
    """Save the labelled splits as a ``datasets.DatasetDict`` (``save_to_disk``); returns ``folder``.

    ``prompt`` / ``completion`` are the conversational prompt-completion columns TRL reads (the prompt built with
    the default character-based budget; the student's own training tokenises with its tokenizer's budget).
    """
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()

    folder = Path(folder)
    data = DatasetDict({name: Dataset.from_list([_row(r) for r in rows]) for name, rows in splits.items() if rows})
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    data.save_to_disk(str(tmp))
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def load_labelled(source: str | Path, split: str | None = "validation") -> list[dict[str, Any]]:
    """Labelled records from a distill run directory, a ``labelled``/split JSONL file, or a saved dataset folder.

    Args:
        source: A run directory (its ``labelled.jsonl``), a JSONL file of labelled records, or a
            ``datasets.save_to_disk`` folder written by :func:`save_dataset`.
        split: Keep only this split (``None``: all).
    """
    from rrm_gym.distill.records import read_records

    path = Path(source)
    if path.is_dir() and (path / "labelled.jsonl").is_file():
        rows = read_records(path / "labelled.jsonl")
    elif path.is_dir() and (path / "dataset_dict.json").is_file():
        from datasets import load_from_disk

        rows = []
        for name, part in load_from_disk(str(path)).items():
            for row in part:
                rows.append({"key": row["key"], "env": row["env"], "task_id": row["task_id"] or None,
                             "split": name, "policy": row["policy"], "success": row["success"],
                             "reward": row["reward"], "trajectory": json.loads(row["trajectory"]),
                             "reference": json.loads(row["reference"]),
                             "teacher": {"ok": row["teacher_ok"], "score": row["teacher_score"],
                                         "raw": row["teacher_raw"], "critique": row["teacher_critique"]}})
    elif path.is_file():
        rows = read_records(path)
    else:
        raise FileNotFoundError(f"{source}: not a distill run directory, a labelled JSONL file or a saved dataset")
    return [r for r in rows if split is None or r.get("split") == split]
