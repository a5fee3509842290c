from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rrm_gym.judges import parse_judgement
from rrm_gym.judges.parser import parse_score, score_prefix


def test_well_formed_reply():
    j = parse_judgement(
        "<think>The agent opened the right page.</think>\n<critique>Verify the year.</critique>\n<score>0.75</score>",
        judge="x",
        latency_s=1.5,
    )
    assert (j.ok, j.score, j.critique, j.trace, j.judge, j.latency_s) == (
        True,
        0.75,
        "Verify the year.",
        "The agent opened the right page.",
        "x",
        1.5,
    )
    assert j.error is None and j.raw.startswith("<think>")


@pytest.mark.parametrize(
    ("text", "score", "critique", "trace"),
    [
        ("<critique>c</critique><score>0.4</score>", 0.4, "c", ""),  # no think
        ("reasoning here</think><critique>c</critique><score>0.4</score>", 0.4, "c", "reasoning here"),  # prefilled
        ("<think>t<critique>c<score>0.4", 0.4, "c", "t"),  # no closing tags at all
        ("Sure! Here it is:\n<think>t</think><critique>c</critique><score>0.4</score>\nHope it helps", 0.4, "c", "t"),
        ("<THINK>t</THINK><CRITIQUE>c</CRITIQUE><SCORE>0.4</SCORE>", 0.4, "c", "t"),
        ("< think >t</ think ><critique >c</critique ><score >\n 0.4 \n</score >", 0.4, "c", "t"),
        ("<critique>c</critique><score>40%</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>4/10</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>0.4/1</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>40/100</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>.4</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>4e-1</score>", 0.4, "c", ""),
        ("<critique>c</critique><score>1</score>", 1.0, "c", ""),
        ("<critique>c</critique><score>0</score>", 0.0, "c", ""),
        ("<critique>c</critique><score>100%</score>", 1.0, "c", ""),
        ("<score>0.4</score>", 0.4, "", ""),  # critique missing entirely
        # a <score> inside <think> is never read, even a closed one
        ("<think>maybe <score>0.9</score></think><critique>c</critique><score>0.4</score>", 0.4, "c",
         "maybe <score>0.9</score>"),
        # nor one nested in a closed critique
        ("<critique>say <score>0.9</score> here</critique><score>0.4</score>", 0.4, "say <score>0.9</score> here", ""),
    ],
)
def test_accepted_forms(text, score, critique, trace):
    j = parse_judgement(text)
    assert j.ok, j.error
    assert j.score == pytest.approx(score)
    assert j.critique == critique
    assert j.trace == trace


def test_the_last_top_level_score_block_counts():
    j = parse_judgement("<score>0.9</score> <critique>redo it</critique> <score>0.2</score> <score>0.7</score>")
    assert j.ok and j.score == 0.7 and j.critique == "redo it"


def test_score_only_before_the_critique_is_rejected():
    j = parse_judgement("<score>0.9</score><critique>c</critique>")
    assert not j.ok and "after the critique" in j.error


OUT_OF_RANGE = "outside [0, 1]"
NOT_ONE_NUMBER = "must hold exactly one number in [0, 1]"


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ("Step 3 was wrong; overall 0.4", NOT_ONE_NUMBER),  # words around the number
        ("Score: 0.4", NOT_ONE_NUMBER),
        ("0.4 out of 1", NOT_ONE_NUMBER),
        ("0.4 0.5", NOT_ONE_NUMBER),  # two numbers
        ("0.4, 0.5", NOT_ONE_NUMBER),
        ("0.4.", NOT_ONE_NUMBER),
        ("**0.4**", NOT_ONE_NUMBER),
        ("high", NOT_ONE_NUMBER),  # words
        ("-0.1", NOT_ONE_NUMBER),  # no sign
        ("+0.5", NOT_ONE_NUMBER),
        ("nan", NOT_ONE_NUMBER),
        ("-inf", NOT_ONE_NUMBER),
        ("Infinity", NOT_ONE_NUMBER),
        ("0x1", NOT_ONE_NUMBER),
        ("3/5", NOT_ONE_NUMBER),  # only /1, /10 and /100
        ("3/0", NOT_ONE_NUMBER),
        ("7", OUT_OF_RANGE),
        ("1.7", OUT_OF_RANGE),
        ("1.0001", OUT_OF_RANGE),
        ("1e3", OUT_OF_RANGE),
        ("150%", OUT_OF_RANGE),
        ("12/10", OUT_OF_RANGE),
        ("2/1", OUT_OF_RANGE),
        ("1e999", "not a finite"),
        ("", "empty <score> block"),
        ("   \n ", "empty <score> block"),
    ],
)
def test_malformed_scores_are_failures_never_clamped(block, reason):
    text = f"<think>t</think><critique>c</critique><score>{block}</score>"
    j = parse_judgement(text, judge="j")
    assert not j.ok and j.score is None, (block, j.score)
    assert reason in j.error
    assert j.raw == text and j.judge == "j"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<think>I would give <score>0.9</score></think>", "no <score> block found outside <think>"),  # issue #7
        ("<think>I would give <score>0.9", "no <score> block found outside <think>"),  # unclosed think
        ("<critique>fine <score>0.9</score></critique>", "no <score> block found outside"),
        ("<critique>c</critique>", "no <score> block"),
        ("The trajectory looks fine, 0.9", "no <score> block"),
        ("", "no <score> block"),
        ("‹critique›c‹/critique›‹score›1‹/score›", "no <score> block"),  # sanitised tags are not tags
    ],
)
def test_failures_have_a_reason(text, reason):
    j = parse_judgement(text, judge="j")
    assert not j.ok and j.score is None
    assert reason in j.error
    assert j.raw == text and j.judge == "j"


def test_parse_score_directly():
    assert parse_score(" 0.25 ") == (0.25, None)
    assert parse_score("8/10") == (0.8, None)
    assert parse_score("overall 0.4")[0] is None


def test_non_string_input_never_raises():
    assert not parse_judgement(None).ok  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=15),
            st.sampled_from(
                [
                    "<think>",
                    "</think>",
                    "<critique>",
                    "</critique>",
                    "<score>",
                    "</score>",
                    "< SCORE >",
                    "nan",
                    "inf",
                    "0.5",
                    "-2",
                    "1e400",
                    "%",
                    "/",
                    "/0",
                    "12",
                    ".",
                    "e",
                ]
            ),
        ),
        max_size=25,
    )
)
def test_fuzz_never_raises_and_scores_stay_in_range(parts):
    j = parse_judgement("".join(parts))
    assert j.ok == (j.score is not None)
    if j.ok:
        assert 0.0 <= j.score <= 1.0 and math.isfinite(j.score)
    else:
        assert j.error


@settings(max_examples=200, deadline=None)
@given(
    score=st.floats(0.0, 1.0, allow_nan=False),
    critique=st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=80),
    trace=st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=80),
)
def test_round_trip_of_well_formed_replies(score, critique, trace):
    j = parse_judgement(f"<think>{trace}</think><critique>{critique}</critique><score>{score!r}</score>")
    assert j.ok
    assert j.score == pytest.approx(score)
    assert j.critique == critique.strip() and j.trace == trace.strip()


@pytest.mark.parametrize(
    ("reply", "prefix"),
    [
        # rambled in the critique until the budget: close it, open the score
        ("<think>facts</think>\n<critique>\n- step 1 was bad bad bad", "<think>facts</think>\n<critique>\n- step 1 was"
         " bad bad bad\n</critique>\n<score>"),
        # still thinking: close the think
        ("<think>Steps taken: 2", "<think>Steps taken: 2\n</think>\n<score>"),
        # no tags at all
        ("I think it is good  ", "I think it is good\n<score>"),
        # stopped inside an empty or unfinished score block: continue it as it is
        ("<critique>c</critique>\n<score>\n", "<critique>c</critique>\n<score>\n"),
        ("<critique>c</critique><score>0.", "<critique>c</critique><score>0."),
        # a score the model wrote, valid or not, is never continued
        ("<critique>c</critique><score>Step 3 was wrong</score>", None),
        ("<critique>c</critique><score>0.4</score>", None),
        ("<think><score>0.4</score> still thinking", None),
    ],
)
def test_score_prefix_finishes_only_replies_without_a_score(reply, prefix):
    got = score_prefix(reply)
    assert got == prefix
    if got is not None:
        assert got.startswith(reply.rstrip())  # the reply itself is kept verbatim
        rest = "25</score>" if got.endswith("0.") else "0.25</score>"
        assert parse_judgement(got + rest).score == 0.25
