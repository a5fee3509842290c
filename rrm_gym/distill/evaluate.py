"""``judge-eval``: how good is a judge on held-out labelled trajectories?

For every labelled record the judge under test gets the :class:`~rrm_gym.types.JudgeRequest` (question, trajectory
and — for reference judges only, as always — the privileged reference). Metrics:

* ``parse_rate``: share of judgements with ``ok=True`` (a valid ``<score>``);
* ``spearman`` / ``pearson``: correlation of its scores with the teacher's, over records both scored;
* ``auroc``: AUROC of its score for the env's task success (parsed judgements only); ``auroc_neutral`` counts a
  failure as the neutral score 0.5, so a judge cannot look good by failing on hard cases;
* ``ece``: expected calibration error of the score as a success probability (10 equal bins), with a reliability
  diagram PNG;
* ``leak_rate``: share of parsed judgements whose critique or trace leaks (see
  :func:`rrm_gym.distill.metrics.leak_reason`); ``gold_mention_rate`` counts any gold-answer mention, even of text
  the agent saw (quoting an observation is allowed by the critique contract);
* ``mean_latency_s`` (the judge's own ``latency_s``) and ``judgements_per_s`` (records / wall time of the calls).

A judge whose every reply fails gives ``None`` for the score metrics, with a note; nothing raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rrm_gym.distill.metrics import auroc, ece, leak_reason, mentions_gold, pearson, reliability, spearman
from rrm_gym.distill.records import request_of
from rrm_gym.types import Judgement, Trajectory

__all__ = ["judge_records", "compute_metrics", "plot_reliability", "seen_text", "METRIC_KEYS"]

METRIC_KEYS = ("n", "parse_rate", "spearman", "pearson", "auroc", "auroc_neutral", "ece", "leak_rate",
               "gold_mention_rate", "mean_score", "mean_latency_s", "judgements_per_s")


def seen_text(trajectory: Trajectory) -> str:
    """Everything the agent saw or wrote in an attempt: question, actions, observations and final answer."""
    parts = [trajectory.question, trajectory.final_answer or ""]
    for turn in trajectory.turns:
        parts += [turn.action, turn.observation]
    return "\n".join(parts)


def judge_records(records: list[dict[str, Any]], judge: Any, *, batch_size: int = 8,
                  advance: Callable[[int], None] | None = None) -> tuple[list[Judgement], float]:
    """Judge every record (batches of ``batch_size``); returns the judgements and the wall seconds of the calls."""
    from rrm_gym.judges import call_judge

    out: list[Judgement] = []
    wall = 0.0
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        began = time.perf_counter()
        out += call_judge(judge, [request_of(r) for r in chunk], on_error="neutral")
        wall += time.perf_counter() - began
        if advance is not None:
            advance(len(chunk))
    return out, wall


def _golds(reference: Any) -> list[str]:
    if not isinstance(reference, dict):
        return []
    values = [reference.get("answer"), *(reference.get("answers") or [])]
    return list(dict.fromkeys(str(v) for v in values if v is not None and str(v).strip()))


def compute_metrics(records: list[dict[str, Any]], judgements: list[Judgement], wall_s: float | None = None,
                    bins: int = 10) -> dict[str, Any]:
    """The metrics of ``judgements`` (one per record, same order) against the records' labels.

    Example:
        >>> recs = [{"success": s, "teacher": {"ok": True, "score": x}, "reference": {"answer": "Ada"},
        ...          "trajectory": {"question": "Who?", "turns": []}} for s, x in [(True, 0.9), (False, 0.1)]]
        >>> m = compute_metrics(recs, [Judgement(1.0), Judgement(0.0)])
        >>> m["parse_rate"], m["auroc"], m["spearman"], m["ece"], m["leak_rate"]
        (1.0, 1.0, 1.0, 0.0, 0.0)
    """
    if len(records) != len(judgements):
        raise ValueError(f"{len(records)} records but {len(judgements)} judgements")
    n = len(records)
    ok = [j.ok and j.score is not None for j in judgements]
    scores = [float(j.score) if good else None for j, good in zip(judgements, ok, strict=True)]
    success = [bool(r.get("success")) for r in records]
    parsed = [i for i in range(n) if ok[i]]
    notes: list[str] = []
    teacher = [(r.get("teacher") or {}) for r in records]
    both = [i for i in parsed if teacher[i].get("ok") and teacher[i].get("score") is not None]
    leaks, mentions, leak_examples = 0, 0, []
    for i in parsed:
        traj = Trajectory.from_dict(records[i]["trajectory"])
        golds = _golds(records[i].get("reference"))
        text = f"{judgements[i].critique}\n{judgements[i].trace}"
        reason = leak_reason(text, golds, seen_text(traj))
        leaks += reason is not None
        if reason is not None and len(leak_examples) < 5:
            leak_examples.append({"key": records[i].get("key"), "reason": reason})
        mentions += mentions_gold(text, golds)
    if n == 0:
        notes.append("no records to evaluate")
    elif not parsed:
        notes.append("no judgement parsed: every score metric is undefined (None)")
    elif len(parsed) < n:
        notes.append(f"{n - len(parsed)} of {n} judgements failed to parse; score metrics use the {len(parsed)} "
                     "parsed ones (auroc_neutral scores failures 0.5)")
    s_parsed = [scores[i] for i in parsed]
    y_parsed = [success[i] for i in parsed]
    metrics = {
        "n": n, "parsed": len(parsed), "parse_rate": len(parsed) / n if n else None,
        "spearman": spearman([scores[i] for i in both], [teacher[i]["score"] for i in both]) if both else None,
        "pearson": pearson([scores[i] for i in both], [teacher[i]["score"] for i in both]) if both else None,
        "auroc": auroc(s_parsed, y_parsed) if parsed else None,
        "auroc_neutral": auroc([0.5 if s is None else s for s in scores], success) if n else None,
        "ece": ece(s_parsed, y_parsed, bins) if parsed else None,
        "leak_rate": leaks / len(parsed) if parsed else None,
        "gold_mention_rate": mentions / len(parsed) if parsed else None,
        "mean_score": sum(s_parsed) / len(s_parsed) if parsed else None,
        "success_rate": sum(success) / n if n else None,
        "mean_latency_s": sum(j.latency_s for j in judgements) / n if n else None,
        "judgements_per_s": n / wall_s if wall_s else None,
        "wall_s": wall_s,
        "reliability": reliability(s_parsed, y_parsed, bins) if parsed else [],
        "errors": _top_errors(judgements),
        "leak_examples": leak_examples,
        "notes": notes,
    }
    if parsed and metrics["auroc"] is None:
        notes.append("AUROC is undefined: the parsed records hold one class only (all successes or all failures)")
    if both and metrics["spearman"] is None:
        notes.append("correlations are undefined: the judge's or the teacher's scores are constant")
    return metrics


def _top_errors(judgements: list[Judgement], top: int = 5) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for j in judgements:
        if not j.ok:
            key = (j.error or "unknown error")[:120]
            counts[key] = counts.get(key, 0) + 1
    return [{"error": e, "count": c} for e, c in sorted(counts.items(), key=lambda kv: -kv[1])[:top]]


def plot_reliability(metrics: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Write the reliability diagram (mean score vs success rate per bin, bar widths by count) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(4.8, 4.4), dpi=110)
    ax.plot([0, 1], [0, 1], linestyle="--", color="#888888", linewidth=1, label="perfect calibration")
    table = metrics.get("reliability") or []
    if table:
        total = sum(b["count"] for b in table)
        centres = [(b["lo"] + b["hi"]) / 2 for b in table]
        ax.bar(centres, [b["success_rate"] for b in table], width=[(b["hi"] - b["lo"]) * 0.9 for b in table],
               color="#4C72B0", alpha=0.75, label="success rate")
        ax.plot([b["mean_score"] for b in table], [b["success_rate"] for b in table], "o", color="#DD8452",
                label="mean score")
        for c, b in zip(centres, table, strict=True):
            ax.annotate(f"{b['count']}", (c, b["success_rate"]), ha="center", va="bottom", fontsize=7)
        ece_value = metrics.get("ece")
        ax.set_title(f"{title}\nECE {ece_value:.3f} · {total} judgements" if ece_value is not None else title,
                     fontsize=9)
    else:
        ax.text(0.5, 0.5, "no parsed judgement", ha="center", va="center")
        ax.set_title(title, fontsize=9)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("judge score")
    ax.set_ylabel("task success rate")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
