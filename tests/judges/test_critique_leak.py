"""The leak test: exploit agents reading the reference judge's critique do no better than with an empty critique.

The exploit agents and the measurement live in ``benchmarks/critique_leak.py`` (loaded here by path, so there is one
copy); they play through the real ``CritiqueObservationWrapper`` on real envs with the real reference judge.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from rrm_gym.judges import ReferenceJudge, make
from rrm_gym.tasks.scoring import qa_reward
from rrm_gym.types import Judgement

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "critique_leak.py"
_SPEC = importlib.util.spec_from_file_location("critique_leak_benchmark", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
leak = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = leak
_SPEC.loader.exec_module(leak)

NOISE = 0.03  # the honest judge gives exactly the control; this only allows for deliberate future randomness


@pytest.fixture(scope="module")
def two_way() -> dict[str, list[str]]:
    return {"rrm/MultiHopQA-v0": leak.two_way_tasks("rrm/MultiHopQA-v0", 170),
            "rrm/WebWalker-v0": leak.two_way_tasks("rrm/WebWalker-v0", 140)}


def _pooled(results: list[dict]) -> dict[str, tuple[float, float, int]]:
    out: dict[str, list[float]] = {}
    for result in results:
        for name, (hit, control) in result["success"].items():
            acc = out.setdefault(name, [0.0, 0.0, 0])
            acc[0] += hit * result["n"]
            acc[1] += control * result["n"]
            acc[2] += result["n"]
    return {k: (h / n, c / n, int(n)) for k, (h, c, n) in out.items()}


def test_option_parsing_and_exploits():
    q = "Which track closes its submissions earlier, the Short Paper Track or the Demo Track?"
    assert leak.two_way_options(q) == ("Short Paper", "Demo")
    assert leak.two_way_options('Which keynote comes first, "A B" or "C D"?') == ("A B", "C D")
    assert leak.two_way_options("Who wrote it?") is None
    assert leak.omitted_option(q, "- You never visited 'Demo' or '[…]'.") == "Short Paper"
    assert leak.named_option(q, "- You never visited 'Demo'.") == "Demo"
    assert leak.omitted_option(q, "") == leak.named_option(q, "") == "Short Paper"  # no signal: a fixed guess
    assert leak.mentioned_number(q, "You never visited […] of the […] pages ('a', 'b'); go.") == "2"
    assert leak.mentioned_number(q, "3 actions were invalid (steps 1, 2 and 4)") == "3"
    assert leak.mentioned_number(q, "invalid (steps 1, 2 and 4)") == "0"
    assert leak.copied_phrase(q, "see 'Dept of […]' now") == "Dept of"
    assert leak.critique_from("x\n## Reviewer critique\n- c\n\nThis is attempt 2. ...") == "- c"


def test_no_exploit_beats_the_empty_critique_on_two_way_questions(two_way):
    judge = ReferenceJudge()
    results = [leak.measure(env_id, ids, judge, leak.FAMILY_EXPLOITS["two-way"], verdict=True)
               for env_id, ids in two_way.items()]
    pooled = _pooled(results)
    assert all(n >= 300 for _, _, n in pooled.values()), pooled
    for name, (hit, control, _) in pooled.items():
        assert hit <= 0.55, (name, hit)
        assert hit - control <= NOISE, (name, hit, control)
    for result in results:
        assert all(rate == 0.0 for rate in result["audit"].values()), result["audit"]


@pytest.mark.parametrize("env_id", ["rrm/ToolUse-v0", "rrm/Math-v0"])
def test_numeric_mentions_do_not_beat_control(env_id):
    ids = leak.numeric_tasks(env_id, 50)
    assert len(ids) >= 40
    result = leak.measure(env_id, ids, ReferenceJudge(), leak.FAMILY_EXPLOITS["numeric"])
    for name, (hit, control) in result["success"].items():
        assert hit - control <= NOISE, (name, hit, control)
    assert all(rate == 0.0 for rate in result["audit"].values()), result["audit"]


def test_constant_judge_is_honest_too(two_way):
    result = leak.measure("rrm/MultiHopQA-v0", two_way["rrm/MultiHopQA-v0"][:40], make("constant"), verdict=True)
    assert all(hit == control for hit, control in result["success"].values())


class BlanksTheAnswer:
    """A stub of the old, leaking critique: gold pages with the answer blanked, and a verdict when it is wrong."""

    name = "leaky-stub"

    def __call__(self, requests):
        out = []
        for r in requests:
            gold = r.reference["answer"]
            pages = ", ".join(f"'{p.replace(gold, '[…]')}'" for p in r.reference["gold_path"])
            wrong = not qa_reward(r.trajectory.final_answer or "", [gold])
            verdict = " Your final answer is not supported by the sources." if wrong else ""
            out.append(Judgement(score=0.5, critique=f"You never visited {pages}.{verdict}"))
        return out


def test_the_measurement_catches_a_leaking_judge(two_way):
    ids = two_way["rrm/MultiHopQA-v0"][:40]
    result = leak.measure("rrm/MultiHopQA-v0", ids, BlanksTheAnswer(), verdict=True)
    assert result["success"]["(a) omitted option"][0] >= 0.9
    assert result["success"]["(e) verdict flip"][0] == 1.0
    assert result["success"]["(b) named option"][0] <= 0.1
    assert result["audit"]["redaction marker"] == 1.0 and result["audit"]["verdict sentence"] > 0
