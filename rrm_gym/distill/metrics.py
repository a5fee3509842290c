"""Judge-quality metrics in plain numpy: rank correlation, AUROC, calibration, and the critique leak check.

Every metric returns ``None`` (never NaN, never an exception) when it is undefined: fewer than two points, a
constant input, or a single class. :func:`leak_reason` implements the critique contract's text check: a critique or
trace leaks when it holds gold answer text that the agent never saw nor wrote (the question, its actions, the
observations and its final answer are what it saw), or a redaction marker (``[…]``, ``[...]``, ``[REDACTED]``, a run
of underscores or block characters) standing in for a blanked-out answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["ranks", "pearson", "spearman", "auroc", "reliability", "ece", "leak_reason", "mentions_gold", "REDACTION"]

REDACTION = re.compile(r"\[\s*(?:…|\.{3}|redacted|hidden|answer|masked|removed)\s*\]|<\s*redacted\s*>|_{3,}|█+|\*{3,}",
                       re.IGNORECASE)


def _clean(xs: Sequence[float], ys: Sequence[float]) -> tuple[Any, Any]:
    import numpy as np

    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def ranks(values: Sequence[float]) -> Any:
    """Ranks from 1, ties sharing their average rank.

    Example:
        >>> ranks([0.2, 0.9, 0.2]).tolist()
        [1.5, 3.0, 1.5]
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    out = np.empty(len(v), dtype=float)
    sorted_v = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        out[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return out


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation, or ``None`` when undefined.

    Example:
        >>> pearson([0, 1, 2], [0, 2, 4]), pearson([1, 1], [0, 1])
        (1.0, None)
    """
    import numpy as np

    x, y = _clean(xs, ys)
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return None
    value = float(np.corrcoef(x, y)[0, 1])
    return max(-1.0, min(1.0, round(value, 12))) if math.isfinite(value) else None


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman rank correlation (Pearson of average ranks), or ``None`` when undefined.

    Example:
        >>> spearman([0.1, 0.5, 0.4], [1, 3, 2])
        1.0
    """
    x, y = _clean(xs, ys)
    return pearson(ranks(x), ranks(y)) if len(x) >= 2 else None


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """AUROC of ``scores`` for the positive ``labels`` (ties count one half); ``None`` with a single class.

    Example:
        >>> auroc([0.9, 0.8, 0.1], [True, True, False]), auroc([0.5, 0.5], [True, False])
        (1.0, 0.5)
    """
    import numpy as np

    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    keep = np.isfinite(s)
    s, y = s[keep], y[keep]
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    r = ranks(s)
    return float((r[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def reliability(scores: Sequence[float], labels: Sequence[bool], bins: int = 10) -> list[dict[str, float]]:
    """Equal-width bins over [0, 1]: ``{lo, hi, count, mean_score, success_rate}`` for each non-empty bin.

    Example:
        >>> reliability([0.05, 0.95], [False, True], bins=2)[1]["success_rate"]
        1.0
    """
    import numpy as np

    s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    y = np.asarray(labels, dtype=float)
    index = np.minimum((s * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            out.append({"lo": b / bins, "hi": (b + 1) / bins, "count": int(mask.sum()),
                        "mean_score": float(s[mask].mean()), "success_rate": float(y[mask].mean())})
    return out


def ece(scores: Sequence[float], labels: Sequence[bool], bins: int = 10) -> float | None:
    """Expected calibration error of ``scores`` as success probabilities (equal-width bins); ``None`` when empty.

    Example:
        >>> ece([1.0, 0.0], [True, False]), ece([0.5, 0.5], [True, True])
        (0.0, 0.5)
    """
    table = reliability(scores, labels, bins)
    total = sum(b["count"] for b in table)
    if total == 0:
        return None
    return float(sum(b["count"] / total * abs(b["mean_score"] - b["success_rate"]) for b in table))


def _norm(text: str) -> str:
    from rrm_gym.tasks.scoring import normalize_answer

    return " " + normalize_answer(text) + " "


def leak_reason(text: str, golds: Sequence[str], seen: str) -> str | None:
    """Why ``text`` (a critique or trace) leaks, or ``None``.

    Args:
        text: What the judge wrote for the agent.
        golds: The gold answers (privileged).
        seen: Everything the agent saw or wrote: question, actions, observations, final answer.

    Example:
        >>> leak_reason("The answer is Lovelace Hall.", ["Lovelace Hall"], "Question: Where?")
        "gold answer 'Lovelace Hall' that the agent never saw"
        >>> leak_reason("You read 'located in Lovelace Hall'.", ["Lovelace Hall"], "... located in Lovelace Hall.")
        >>> leak_reason("The answer is [...].", ["x"], "")
        "redaction marker '[...]'"
    """
    marker = REDACTION.search(text or "")
    if marker is not None and marker.group(0) not in (seen or ""):
        return f"redaction marker {marker.group(0)!r}"
    said, visible = _norm(text or ""), _norm(seen or "")
    for gold in golds:
        g = _norm(str(gold))
        if g.strip() and g in said and g not in visible:
            return f"gold answer {str(gold)!r} that the agent never saw"
    return None


def mentions_gold(text: str, golds: Sequence[str]) -> bool:
    """Whether ``text`` contains a gold answer (normalised, whole words), seen by the agent or not.

    Example:
        >>> mentions_gold("It is in Lovelace Hall.", ["lovelace hall"]), mentions_gold("Hall", ["Lovelace Hall"])
        (True, False)
    """
    said = _norm(text or "")
    return any(_norm(str(g)).strip() and _norm(str(g)) in said for g in golds)
