"""Parse an Agent-RRM reply (``<think>``, ``<critique>``, ``<score>``) into a :class:`~rrm_gym.types.Judgement`.

Tolerant about the layout real models produce: a missing ``<think>`` (or only its closing tag, as when a chat
template pre-fills ``<think>``), missing closing tags (an unclosed block ends at the next judge tag; an unclosed
``<think>`` ends at the next ``<critique>``), chatter around the blocks, upper case and spaces inside tags. Only ASCII
``<``/``>`` tags count (sanitised agent text uses ``‹``/``›``, so an echoed prompt never parses).

Strict about the score, which is a reward:

* Only **top-level** ``<score>`` blocks are read: a ``<score>`` inside ``<think>`` (closed or not) or inside a closed
  ``<critique>…</critique>`` is never read. Of the top-level ones, the **last** counts; a critique that comes after
  it is a failure (the Agent-RRM order is critique, then score).
* The block holds **exactly one number in [0, 1]**, with surrounding whitespace only. Accepted forms:
  a plain decimal (``0.8``, ``.8``, ``1``, ``1.0``), scientific notation (``5e-2``), and three scaled forms whose
  value is divided out: ``N%`` (N in [0, 100]), ``N/10`` (N in [0, 10]) and ``N/1``, ``N/100``. No sign, no words,
  no second number, no other denominator.
* Anything else — words (``Step 3 was wrong; overall 0.4``), two numbers, ``7``, ``-0.1``, ``1e3``, ``150%``,
  ``3/5``, NaN, infinity, an empty block — is a parse failure: ``ok=False`` with the reason in ``error``. A score is
  never clamped or guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rrm_gym.types import Judgement

__all__ = ["parse_judgement", "parse_score", "score_prefix"]

_FLAGS = re.IGNORECASE
_TAG = re.compile(r"<\s*(/?)\s*(think|critique|score)\s*>", _FLAGS)
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
_SCORE = re.compile(rf"({_NUMBER})(?:\s*(%)|\s*/\s*(1|10|100))?", _FLAGS)
_SCALES = {"%": 100.0, "1": 1.0, "10": 10.0, "100": 100.0}


@dataclass(frozen=True)
class _Tag:
    closing: bool
    name: str
    start: int
    end: int


def parse_score(block: str) -> tuple[float | None, str | None]:
    """Read the content of a ``<score>`` block: ``(value, None)`` or ``(None, reason)``.

    Example:
        >>> parse_score(" 0.75 "), parse_score("8/10"), parse_score("80%")
        ((0.75, None), (0.8, None), (0.8, None))
        >>> parse_score("overall 0.4")[1]
        "the <score> block must hold exactly one number in [0, 1], got 'overall 0.4'"
        >>> parse_score("7")[1]
        'score 7 is outside [0, 1]'
    """
    text = block.strip()
    if not text:
        return None, "empty <score> block"
    match = _SCORE.fullmatch(text)
    if match is None:
        return None, f"the <score> block must hold exactly one number in [0, 1], got {text[:60]!r}"
    try:
        value = float(match.group(1))
    except (ValueError, OverflowError):  # pragma: no cover - the pattern only matches float literals
        return None, f"cannot read the score {match.group(1)!r}"
    if not math.isfinite(value):
        return None, f"score is not a finite number ({match.group(1)!r})"
    scale = _SCALES[match.group(2) or match.group(3)] if (match.group(2) or match.group(3)) else 1.0
    if not 0.0 <= value <= scale:
        return None, f"score {text} is outside [0, 1]"
    return min(1.0, value / scale), None


def _tags(text: str) -> list[_Tag]:
    return [_Tag(bool(m.group(1)), m.group(2).lower(), m.start(), m.end()) for m in _TAG.finditer(text)]


def _think_regions(tags: list[_Tag], length: int) -> list[tuple[int, int, int, int]]:
    """``(region_start, content_start, content_end, region_end)`` of every ``<think>`` block.

    A closed block runs to its ``</think>``; an unclosed one to the next ``<critique>`` or the end of the text; a
    ``</think>`` with no opening tag before it (a pre-filled template) closes a block that starts where the text (or
    the previous block) does.
    """
    regions: list[tuple[int, int, int, int]] = []
    floor, i, other = 0, 0, False  # other: a critique/score tag was seen since ``floor``
    while i < len(tags):
        tag = tags[i]
        if tag.name != "think":
            other = True
        elif tag.closing and not other:
            regions.append((floor, floor, tag.start, tag.end))
            floor = tag.end
        elif not tag.closing:
            close = next((t for t in tags[i + 1 :] if t.name == "think" and t.closing), None)
            stop = next((t for t in tags[i + 1 :] if t.name == "critique" and not t.closing), None)
            if close is not None:
                regions.append((tag.start, tag.end, close.start, close.end))
            else:
                end = stop.start if stop is not None else length
                regions.append((tag.start, tag.end, end, end))
            floor, other = regions[-1][3], False
            while i + 1 < len(tags) and tags[i + 1].start < floor:
                i += 1
        i += 1
    return regions


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _critiques(tags: list[_Tag], text: str, hidden: list[tuple[int, int]]) -> list[tuple[int, int, str, bool]]:
    """``(start, end, content, closed)`` of the top-level ``<critique>`` blocks.

    A block is closed by the next ``</critique>`` when no other ``<critique>`` or ``<think>`` opens first (tags in
    between are part of its text); otherwise it ends at the next judge tag or at the end of the text.
    """
    out: list[tuple[int, int, str, bool]] = []
    for i, tag in enumerate(tags):
        if tag.name != "critique" or tag.closing or _inside(tag.start, hidden) or _inside(tag.start, [
                (a, b) for a, b, _, closed in out if closed]):
            continue
        rest = tags[i + 1 :]
        end = next((t for t in rest if t.name == "critique" or (t.name == "think" and not t.closing)), None)
        if end is not None and end.name == "critique" and end.closing:
            out.append((tag.start, end.end, text[tag.end : end.start], True))
        else:
            stop = rest[0].start if rest else len(text)
            out.append((tag.start, stop, text[tag.end : stop], False))
    return out


def _scores(tags: list[_Tag], text: str, hidden: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """``(start, content)`` of the top-level ``<score>`` blocks (not inside a ``hidden`` span).

    A block ends at its ``</score>`` when no other judge tag comes first, else at the next judge tag (or the end).
    """
    out = []
    for i, tag in enumerate(tags):
        if tag.name != "score" or tag.closing or _inside(tag.start, hidden):
            continue
        nxt = tags[i + 1] if i + 1 < len(tags) else None
        stop = nxt.start if nxt is not None else len(text)
        out.append((tag.start, text[tag.end : stop]))
    return out


def parse_judgement(text: str, judge: str = "", latency_s: float = 0.0) -> Judgement:
    """Turn a judge's raw reply into a :class:`Judgement`; never raises on any text.

    Args:
        text: The raw reply.
        judge: Identity of the judge, stored in the judgement.
        latency_s: Seconds the judge took, stored in the judgement.

    Returns:
        ``ok=True`` with score, critique and trace, or ``ok=False`` with the reason in ``error`` (and ``raw`` kept).

    Example:
        >>> j = parse_judgement("<think>fine</think><critique>Open the FAQ page.</critique><score>0.7</score>")
        >>> j.ok, j.score, j.critique
        (True, 0.7, 'Open the FAQ page.')
        >>> parse_judgement("<critique>c</critique><score>Step 3 was wrong; overall 0.4</score>").ok
        False
        >>> parse_judgement("I think it is good").error
        'no <score> block found'
    """
    raw = text if isinstance(text, str) else str(text)
    try:
        return _parse(raw, judge, latency_s)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not crash an env step
        return Judgement.failure(f"parser error: {type(exc).__name__}: {exc}", raw=raw, judge=judge)


def score_prefix(raw: str) -> str | None:
    """The text a judge model continues to finish a reply that stopped before writing its score, or ``None``.

    A reply that ends inside an open ``<score>`` block (its budget ran out there) continues as it is; a reply with
    no ``<score>`` tag at all gets its open ``<think>``/``<critique>`` closed and a ``<score>`` opened. A reply that
    wrote a score block, valid or not, is never continued: a bad score stays a failure.

    Example:
        >>> score_prefix("<think>ok</think><critique>Open the")
        '<think>ok</think><critique>Open the\\n</critique>\\n<score>'
        >>> score_prefix("<critique>c</critique><score>") == "<critique>c</critique><score>"
        True
        >>> score_prefix("<critique>c</critique><score>high</score>") is None
        True
    """
    tags = _tags(raw)
    if tags and tags[-1].name == "score" and not tags[-1].closing:
        return raw
    if any(t.name == "score" for t in tags):
        return None
    tail = raw.rstrip()
    for name in ("think", "critique"):
        last = [t for t in tags if t.name == name]
        if last and not last[-1].closing:
            tail += f"\n</{name}>"
    return tail + "\n<score>"


def _parse(raw: str, judge: str, latency_s: float) -> Judgement:
    tags = _tags(raw)
    thinks = _think_regions(tags, len(raw))
    hidden = [(a, d) for a, _, _, d in thinks]
    critiques = _critiques(tags, raw, hidden)
    scores = _scores(tags, raw, hidden + [(a, b) for a, b, _, closed in critiques if closed])
    if not scores:
        inside = any(t.name == "score" and not t.closing for t in tags)
        where = " outside <think> and <critique>" if inside else ""
        return Judgement.failure(f"no <score> block found{where}", raw=raw, judge=judge, latency_s=latency_s)
    start, content = scores[-1]
    if any(a > start for a, _, _, _ in critiques):
        return Judgement.failure("no <score> block found after the critique", raw=raw, judge=judge,
                                 latency_s=latency_s)
    score, error = parse_score(content)
    if score is None:
        return Judgement.failure(error or "invalid score", raw=raw, judge=judge, latency_s=latency_s)
    before = [c for a, _, c, _ in critiques if a < start]
    critique = before[-1] if before else ""
    trace = raw[thinks[0][1] : thinks[0][2]] if thinks else ""
    return Judgement(
        score=score,
        critique=critique.strip(),
        trace=trace.strip(),
        raw=raw,
        ok=True,
        judge=judge,
        latency_s=latency_s,
    )
