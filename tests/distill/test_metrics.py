"""judge-eval metrics on hand-made cases whose right value is known."""

import math

import pytest

from rrm_gym.distill.evaluate import compute_metrics, plot_reliability
from rrm_gym.distill.metrics import auroc, ece, leak_reason, mentions_gold, pearson, ranks, reliability, spearman
from rrm_gym.types import Judgement, Trajectory, Turn


def test_ranks_average_ties():
    assert ranks([3.0, 1.0, 3.0, 2.0]).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_correlations_known_values():
    assert spearman([0.1, 0.2, 0.9], [1, 5, 6]) == pytest.approx(1.0)
    assert spearman([0.1, 0.2, 0.9], [6, 5, 1]) == pytest.approx(-1.0)
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    # Pearson of x and x^2 on 0..3 is 0.9583..., Spearman is 1 (monotone)
    assert pearson([0, 1, 2, 3], [0, 1, 4, 9]) == pytest.approx(0.9583148, abs=1e-6)
    assert spearman([0, 1, 2, 3], [0, 1, 4, 9]) == pytest.approx(1.0)


@pytest.mark.parametrize("xs,ys", [([], []), ([1.0], [2.0]), ([0.5, 0.5, 0.5], [0, 1, 2]), ([1, 2], [3, 3])])
def test_correlations_undefined_are_none(xs, ys):
    assert spearman(xs, ys) is None and pearson(xs, ys) is None


def test_auroc_known_values():
    assert auroc([0.9, 0.8, 0.3, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auroc([0.5] * 4, [True, False, True, False]) == 0.5
    # one of the four (positive, negative) pairs is misordered: 3/4
    assert auroc([0.9, 0.4, 0.6, 0.1], [True, True, False, False]) == pytest.approx(0.75)
    assert auroc([0.9, 0.1], [True, True]) is None and auroc([], []) is None


def test_ece_and_reliability_known_values():
    assert ece([1.0, 1.0, 0.0, 0.0], [True, True, False, False]) == 0.0
    # every score 0.8, success 1/2: |0.8 - 0.5| = 0.3
    assert ece([0.8, 0.8], [True, False]) == pytest.approx(0.3)
    # two bins: [0.2 vs 0] and [0.9 vs 1] weighted equally -> (0.2 + 0.1) / 2
    assert ece([0.2, 0.9], [False, True], bins=2) == pytest.approx(0.15)
    assert ece([], []) is None
    table = reliability([0.05, 0.07, 1.0], [False, True, True], bins=10)
    assert [b["count"] for b in table] == [2, 1] and table[-1]["hi"] == 1.0 and table[0]["success_rate"] == 0.5


def test_leak_reason_honours_the_critique_contract():
    seen = "Question: Where is the department?\nThe Department of Geography is located in the Lovelace Hall."
    assert leak_reason("It is in Lovelace Hall.", ["Lovelace Hall"], "Question: Where?") is not None
    assert leak_reason("You read 'located in the Lovelace Hall'.", ["Lovelace Hall"], seen) is None
    assert leak_reason("The answer is [...], check it.", ["x"], seen).startswith("redaction marker")
    assert leak_reason("The answer is […].", ["x"], seen).startswith("redaction marker")
    assert leak_reason("Open the pages that bear on the question.", ["Lovelace Hall"], "") is None
    assert leak_reason("Hall is big", ["Lovelace Hall"], "") is None  # a word of the answer is not the answer
    assert mentions_gold("in the Lovelace Hall", ["Lovelace Hall"]) and not mentions_gold("", ["x"])


def _records(successes, teacher_scores, answer="Lovelace Hall"):
    out = []
    for i, (s, t) in enumerate(zip(successes, teacher_scores, strict=True)):
        traj = Trajectory(f"t{i}", "Where is the department?", [Turn("Current page: Home", "click: People")], "x")
        out.append({"key": str(i), "env": "e", "success": s, "teacher": {"ok": True, "score": t},
                    "reference": {"answer": answer}, "trajectory": traj.to_dict()})
    return out


def test_perfect_judge():
    records = _records([True, False, True, False, True], [0.9, 0.2, 1.0, 0.5, 0.8])
    judgements = [Judgement(1.0 if r["success"] else 0.0, critique="Check your steps.") for r in records]
    m = compute_metrics(records, judgements, wall_s=2.0)
    assert m["parse_rate"] == 1.0 and m["auroc"] == 1.0 and m["ece"] == 0.0 and m["leak_rate"] == 0.0
    assert m["spearman"] == pytest.approx(0.8660254) and m["judgements_per_s"] == 2.5
    teacher_like = [Judgement(r["teacher"]["score"]) for r in records]
    assert compute_metrics(records, teacher_like)["spearman"] == pytest.approx(1.0)


def test_a_judge_that_leaks_the_answer_has_leak_rate_one():
    records = _records([True, False, False], [1.0, 0.0, 0.5])
    leaky = [Judgement(0.5, critique="The right answer is Lovelace Hall."), Judgement(0.5, critique="It is [...]."),
             Judgement(0.2, trace="gold: Lovelace Hall")]
    m = compute_metrics(records, leaky)
    assert m["leak_rate"] == 1.0 and m["gold_mention_rate"] == pytest.approx(2 / 3) and len(m["leak_examples"]) == 3


def test_a_judge_whose_every_reply_fails_gives_none_and_a_note(tmp_path):
    records = _records([True, False], [1.0, 0.0])
    failed = [Judgement.failure("no <score> block found", raw="blah") for _ in records]
    m = compute_metrics(records, failed, wall_s=1.0)
    assert m["parse_rate"] == 0.0
    for key in ("spearman", "pearson", "auroc", "ece", "leak_rate", "mean_score"):
        assert m[key] is None
    assert m["auroc_neutral"] == 0.5 and m["errors"][0]["count"] == 2 and "no judgement parsed" in m["notes"][0]
    assert plot_reliability(m, tmp_path / "r.png").stat().st_size > 0


def test_partial_parse_and_single_class():
    records = _records([True, True, True], [1.0, 0.9, 0.8])
    judgements = [Judgement(0.9), Judgement.failure("bad"), Judgement(0.7)]
    m = compute_metrics(records, judgements)
    assert m["parse_rate"] == pytest.approx(2 / 3) and m["auroc"] is None and m["ece"] == pytest.approx(0.2)
    assert any("one class" in n for n in m["notes"]) and any("failed to parse" in n for n in m["notes"])
    assert not math.isnan(m["spearman"])
