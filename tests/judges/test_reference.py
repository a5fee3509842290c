from __future__ import annotations

import inspect
import random
import re

import gymnasium as gym
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.judges import ReferenceJudge, make, parse_judgement
from rrm_gym.judges.reference_writer import CritiqueWriter
from rrm_gym.types import JudgeRequest, Trajectory, Turn
from rrm_gym.wrappers._attempt import _turn_info
from tests.judges.helpers import ANSWER, QUESTION, REFERENCE, answer, bad_trajectory, good_trajectory, request

JUDGE = ReferenceJudge()


def judge_one(traj: Trajectory, reference: dict | None = REFERENCE):
    return JUDGE([request(traj, reference)])[0]


def test_good_path_scores_higher_than_bad_path():
    good, bad = judge_one(good_trajectory()), judge_one(bad_trajectory())
    assert good.ok and bad.ok
    assert good.score > bad.score
    assert good.score == 1.0
    assert "sound" in good.critique
    assert good.judge == "reference" and good.latency_s >= 0


def test_bad_path_critique_names_the_process_flaws():
    j = judge_one(bad_trajectory())
    c = j.critique
    assert "1 of your actions was invalid (step 4; the first error: \"no button 'Deadline'\")" in c
    assert "repeated the same action in the same state 2 times (steps 5 and 6)" in c
    assert "does not appear in any tool result" in c
    assert "3 tool results were never used (steps 1, 3 and 6)" in c
    for leak in ("Call for Papers", "Important Dates", "not supported", "[…]"):
        assert leak not in c and leak not in j.trace
    assert parse_judgement(j.raw, judge="reference").score == j.score  # Agent-RRM format, parses back
    assert j.trace.startswith("Steps taken: 7; successful tool calls: 5 (back 2, click 3)")


def test_never_answering_is_flagged_and_scores_below_answering():
    unanswered, answered = judge_one(bad_trajectory(final=None)), judge_one(bad_trajectory())
    assert "never gave a final answer" in unanswered.critique
    assert unanswered.score < answered.score


def test_no_verdict_from_the_gold_answer():
    right, wrong = judge_one(bad_trajectory(final=ANSWER)), judge_one(bad_trajectory())
    assert 0.5 <= right.score < 1.0 and right.score > wrong.score  # the score knows ...
    assert right.critique == wrong.critique and right.trace == wrong.trace  # ... the text cannot


def test_wrong_answer_after_good_process_still_gets_partial_credit():
    turns = list(good_trajectory().turns[:2]) + [answer("June 9, 2025", False)]
    j = judge_one(Trajectory("conf-1", QUESTION, turns, "June 9, 2025"))
    assert 0.3 <= j.score <= 0.5
    assert "does not appear in any tool result" in j.critique
    assert "share key words with the question" not in j.critique or "step 2" in j.critique


def test_giving_up_at_step_one_is_flagged():
    lucky = judge_one(Trajectory("conf-1", QUESTION, [answer(ANSWER, True)], ANSWER))
    assert lucky.score < 0.8
    assert "first step without using any tool" in lucky.critique
    blind = judge_one(Trajectory("conf-1", QUESTION, [answer("I do not know", False)], "I do not know"))
    assert "only says that you do not know" in blind.critique
    assert not re.search(r"\d", blind.critique)  # nothing countable to read a number from


def test_required_tools_count_in_the_score_but_are_never_named():
    traj = Trajectory("t", "q", [Turn("results", "search: x", info={"tool": "search"}), answer("y", False)], "y")
    both = judge_one(traj, {"required_tools": ["search", "calculator"]})
    one = judge_one(traj, {"required_tools": ["search"]})
    assert both.score < one.score
    assert "calculator" not in both.critique and both.critique == one.critique


def test_works_without_any_reference():
    for reference in (None, {}):
        bad, good = judge_one(bad_trajectory(), reference), judge_one(good_trajectory(), reference)
        assert bad.ok and good.ok and good.score > bad.score
        assert "invalid" in bad.critique
    empty = judge_one(Trajectory(None, "q"), None)
    assert empty.ok and empty.score == 0.0 and "never gave a final answer" in empty.critique


def test_deterministic_and_batched_in_order():
    reqs = [request(good_trajectory()), request(bad_trajectory()), request(good_trajectory())]
    first, second = JUDGE(reqs), JUDGE(reqs)
    assert [j.raw for j in first] == [j.raw for j in second]
    assert first[0].score == first[2].score != first[1].score


def test_cache_key_includes_the_reference_and_the_version():
    req = request(good_trajectory())
    other = JudgeRequest(req.question, req.trajectory, {**REFERENCE, "answer": "other"})
    assert JUDGE.cache_key(req) != JUDGE.cache_key(other)
    assert JUDGE.cache_key(req)["version"] == JUDGE.version


def test_the_writer_cannot_receive_the_reference():
    assert list(inspect.signature(CritiqueWriter.__call__).parameters) == ["self", "question", "trajectory"]


def test_oracle_hints_are_a_separate_leaking_option():
    ref = {"answer": "x", "gold_path": ["Call for Papers", "Secret Page"], "required_tools": ["calculator"]}
    honest, oracle = make("reference"), make("reference", oracle_hints=True)
    [h], [o] = honest([request(bad_trajectory(), ref)]), oracle([request(bad_trajectory(), ref)])
    assert "Secret Page" in o.critique and "calculator" in o.critique and "Oracle hint" in o.critique
    assert "Secret Page" not in h.critique and "Oracle" not in h.critique
    assert (honest.name, oracle.name) == ("reference", "reference+oracle") and h.score == o.score
    assert honest.cache_key(request(bad_trajectory(), ref)) != oracle.cache_key(request(bad_trajectory(), ref))


# ----------------------------------------------------------------------------- real env trajectories
def _play(env_id: str, seed: int, steps: int = 5) -> JudgeRequest:
    """A random real episode: valid actions, the odd invalid one, then an answer (or none)."""
    env = gym.make(env_id)
    rng = random.Random(seed)
    obs, info = env.reset(seed=seed)
    ref = env.unwrapped.judge_reference()
    turns: list[Turn] = []
    term = False
    for _ in range(rng.randint(0, steps)):
        options = [a for a in info["valid_actions"] if not a.startswith(("python", "answer", "\\boxed"))]
        action = rng.choice([*options, "click: Nowhere", options[0] if options else "search: x"])
        obs, reward, term, _, info = env.step(action)
        turns.append(Turn(obs, action, float(reward), _turn_info(info)))
        if term:
            break
    if not term and rng.random() < 0.8:
        final = rng.choice(["I do not know", str(ref.get("answer")), "42"])
        obs, reward, term, _, info = env.step(f"\\boxed{{{final}}}")
        turns.append(Turn(obs, f"\\boxed{{{final}}}", float(reward), _turn_info(info)))
    env.close()
    traj = Trajectory(info["task_id"], info["question"], turns, info.get("final_answer"))
    return JudgeRequest(traj.question, traj, ref)


ENV_IDS = ["rrm/WebWalker-v0", "rrm/MultiHopQA-v0", "rrm/ToolUse-v0", "rrm/Math-v0"]
REAL = [_play(env_id, seed) for env_id in ENV_IDS for seed in range(4)]
HAND = [request(t) for t in (good_trajectory(), bad_trajectory(), bad_trajectory(final=None))]

_VALUES = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.lists(st.text(max_size=30), max_size=4))


@settings(max_examples=150, deadline=None)
@given(
    index=st.integers(0, len(REAL) + len(HAND) - 1),
    changes=st.dictionaries(st.sampled_from(["answer", "answers", "gold_path", "gold_paths", "evidence",
                                             "required_tools", "answer_match", "options", "solution", "kind"]),
                            _VALUES, max_size=6),
    deleted=st.sets(st.sampled_from(["answer", "answers", "gold_path", "evidence", "required_tools", "options"])),
    flip_outcome=st.booleans(),
)
def test_no_reference_field_changes_a_word_of_the_critique(index, changes, deleted, flip_outcome):
    req = (REAL + HAND)[index]
    base = JUDGE([req])[0]
    ref = {k: v for k, v in {**(req.reference or {}), **changes}.items() if k not in deleted}
    traj = req.trajectory
    if flip_outcome:  # gold-derived outcome flags in the turns are no input to the writer either
        turns = [Turn(t.observation, t.action, 1.0 - t.reward,
                      {**t.info, "is_success": not t.info.get("is_success"), "answer_correct": True,
                       "state_correct": False, "candidate_actions": [str(changes)]}) for t in traj.turns]
        traj = Trajectory(traj.task_id, traj.question, turns, traj.final_answer)
    for other in (JudgeRequest(req.question, traj, ref), JudgeRequest(req.question, traj, None)):
        j = JUDGE([other])[0]
        assert j.ok and j.critique == base.critique and j.trace == base.trace


def _agent_text(req: JudgeRequest) -> str:
    t = req.trajectory
    return " ".join([req.question, t.final_answer or "", *(x.action + " " + x.observation for x in t.turns)]).lower()


@pytest.mark.parametrize("req", REAL + HAND, ids=lambda r: r.trajectory.task_id or "hand")
def test_gold_text_appears_only_where_the_agent_saw_or_wrote_it(req):
    j = JUDGE([req])[0]
    ref = req.reference or {}
    golds = [str(ref.get("answer") or ""), *map(str, ref.get("gold_path") or []), *map(str, ref.get("evidence") or [])]
    for gold in (g.strip().lower() for g in golds if len(str(g).strip()) > 3):
        if gold in j.critique.lower() or gold in j.trace.lower():
            assert gold in _agent_text(req), gold
    assert "[…]" not in j.critique and "not supported" not in j.critique


_WORDS = st.text(alphabet="bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ", min_size=4, max_size=12)


@settings(max_examples=100, deadline=None)
@given(secret=_WORDS, title=_WORDS, index=st.integers(0, len(REAL) + len(HAND) - 1))
def test_an_unseen_gold_answer_never_appears(secret, title, index):
    req = (REAL + HAND)[index]
    assume(secret.lower() not in _agent_text(req))
    ref = {"answer": secret, "answers": [secret], "gold_path": [f"{title} {secret}", secret],
           "evidence": [f"it is {secret}"], "required_tools": [f"{secret}_tool"], "options": [secret, title]}
    j = JUDGE([JudgeRequest(req.question, req.trajectory, ref)])[0]
    for text in (j.critique, j.trace, j.raw):
        assert secret.lower() not in text.lower()


@pytest.mark.parametrize("req", REAL, ids=lambda r: r.trajectory.task_id)
def test_counts_match_what_the_critique_lists(req):
    c = JUDGE([req])[0].critique
    for count, steps in re.findall(r"(\d+) (?:of your actions|tool results?) \w+ \w+ \(steps? ([\d, and]+)[;)]", c):
        assert int(count) == len(re.findall(r"\d+", steps)), c
    for count, total, listed in re.findall(r"never explored (any|\d+) of the (\d+) options shown to you: (.*?)\. "
                                           r"Open the ones", c):
        count = int(total) if count == "any" else int(count)
        assert count <= int(total)
        more = re.search(r" and (\d+) more$", listed)
        assert count == listed.count('", "') + 1 + (int(more.group(1)) if more else 0), c


def _play_webwalker(seed: int, follow_gold: bool) -> tuple[JudgeRequest, float]:
    """One real rrm/WebWalker-v0 episode: along the gold trails (going back only as far as needed) or wandering."""
    env = gym.make("rrm/WebWalker-v0")
    obs, info = env.reset(seed=seed)
    base = env.unwrapped
    ref = base.judge_reference()
    turns: list[Turn] = []

    def act(action: str) -> dict:
        obs, reward, term, trunc, step_info = env.step(action)
        turns.append(Turn(obs, action, float(reward), _turn_info(step_info)))
        return step_info

    if follow_gold:
        here = [ref["gold_paths"][0][0]]
        for trail in ref["gold_paths"]:
            while here != trail[: len(here)]:
                info = act("back:")
                here.pop()
            for title in trail[len(here) :]:
                page = base.site.pages[info["path"]]
                label = next(lb for lb, path in page.buttons if base.site.pages[path].title == title)
                info = act(f"click: {label}")
                here.append(title)
        info = act(f"\\boxed{{{ref['answer']}}}")
    else:
        for k in range(4):
            options = info["valid_actions"] or ["back:"]
            info = act(options[-1] if k % 2 else "click: Nowhere")
        info = act("\\boxed{no idea}")
    traj = Trajectory(info["task_id"], info["question"], turns, info.get("final_answer"))
    return JudgeRequest(traj.question, traj, ref), float(turns[-1].reward)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_webwalker_episodes(seed):
    good_req, good_reward = _play_webwalker(seed, follow_gold=True)
    bad_req, bad_reward = _play_webwalker(seed, follow_gold=False)
    good, bad = JUDGE([good_req, bad_req])
    assert good_reward == 1.0 and bad_reward == 0.0
    assert good.score == 1.0, good.critique
    assert bad.score < 0.5 and "invalid" in bad.critique and "never explored" in bad.critique
    gold = good_req.reference["answer"]
    assert re.search(rf"(?<!\w){re.escape(gold)}(?!\w)", bad.critique, re.I) is None or gold.lower() in \
        _agent_text(bad_req)


def test_reference_judge_checks_math_answers_for_equivalence():
    traj = Trajectory("m1", "Half of one?", (Turn("Final answer received", "\\boxed{\\frac{1}{2}}", 1.0, {}),),
                      "\\frac{1}{2}")
    math_ref = {"answer": "0.5", "answers": ["0.5"], "answer_match": "math"}
    qa_ref = {"answer": "0.5", "answers": ["0.5"]}
    [with_math] = ReferenceJudge()([JudgeRequest("Half of one?", traj, math_ref)])
    [with_qa] = ReferenceJudge()([JudgeRequest("Half of one?", traj, qa_ref)])
    assert with_math.ok and with_qa.ok
    assert with_math.score > with_qa.score  # 1/2 == 0.5 mathematically, not as text
    assert with_math.critique == with_qa.critique
