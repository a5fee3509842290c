"""Recorded attempts are raw tuples; their trajectories build turns on first read and behave as plain ones."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import random

import pytest

from rrm_gym.types import Trajectory, Turn
from rrm_gym.wrappers import UnifiedWrapper
from rrm_gym.wrappers import vector as vw
from rrm_gym.wrappers._attempt import AttemptRecorder, LazyTrajectory, _clip
from tests.wrappers.test_feedback_vector import make_vec
from tests.wrappers.toy_envs import AddEnv, RecordingJudge, answer_of


def _recorded() -> Trajectory:
    rec = AttemptRecorder()
    rec.start("Question: What is 1+2?", {"question": "What is 1+2?", "task_id": "1+2"})
    rec.record("hmm", "Please reply with a number.", 0.0, {"valid_actions": ["0"], "tool": "none", "_x": 1})
    rec.record("3", "done", 1.0, {"final_answer": "3", "is_success": True})
    return rec.trajectory()


def test_lazy_trajectory_equals_hashes_prints_and_pickles_as_a_plain_one():
    lazy = _recorded()
    assert isinstance(lazy, LazyTrajectory) and "turns" not in vars(lazy)  # nothing built yet
    plain = Trajectory("1+2", "What is 1+2?", (Turn("Please reply with a number.", "hmm", 0.0, {"tool": "none"}),
                                               Turn("done", "3", 1.0, {"final_answer": "3", "is_success": True})),
                       "3")
    assert lazy == plain and plain == lazy
    assert lazy != Trajectory("1+2", "What is 1+2?")
    assert repr(lazy) == repr(plain) and lazy.to_dict() == plain.to_dict() and lazy.num_turns == 2
    for clone in (pickle.loads(pickle.dumps(lazy)), copy.copy(lazy), copy.deepcopy(lazy)):
        assert type(clone) is Trajectory and clone == plain
    assert dataclasses.replace(lazy, final_answer="4").final_answer == "4"
    assert Trajectory.from_dict(lazy.to_dict()) == lazy
    with pytest.raises(TypeError):
        hash(lazy)  # turns hold dicts: unhashable, exactly like the plain trajectory
    with pytest.raises(TypeError):
        hash(plain)


def test_recorder_summary_and_trajectory_follow_the_steps():
    rec = AttemptRecorder()
    rec.start("Q", {})
    assert rec.summary() == {"reward_env": 0.0, "is_success": None, "final_answer": None, "num_turns": 0}
    first = rec.trajectory()
    assert rec.trajectory() is first  # one object until a step is recorded
    rec.record(7, "obs", 0.5, {"final_answer": 7, "is_success": False})
    rec.record("x", "obs2", 0.25, {"final_answer": None})
    assert rec.trajectory() is not first and rec.trajectory().turns[0].action == "7"  # repr of a non-str action
    assert rec.summary() == {"reward_env": 0.75, "is_success": False, "final_answer": "7", "num_turns": 2}


def _old_clip(text, limit=300):
    text = " ".join(str(text)[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@pytest.mark.parametrize("seed", range(200))
def test_clip_equals_the_plain_rule(seed):
    rng = random.Random(seed)
    pieces = ["word", " ", "  ", "\n", "\t", "longerword", "x" * 50, " \n "]
    text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 400)))
    for limit in (20, 160, 300):
        assert _clip(text, limit) == _old_clip(text, limit)


def test_vector_and_single_wrappers_send_the_judge_the_same_trajectories():
    actions = ["a", "-3", "b", "right", "x", "right"]
    single_judge, vector_judge = RecordingJudge(), RecordingJudge()
    single = UnifiedWrapper(AddEnv(with_task_id=True), single_judge)
    _, info_s = single.reset(seed=11)
    vec = vw.UnifiedWrapper(make_vec(1, task_id=True), vector_judge)
    _, info_v = vec.reset(seed=11)
    for a in actions:
        a_s = answer_of(info_s["question"]) if a == "right" else a
        a_v = answer_of(info_v["question"][0]) if a == "right" else a
        _, _, t_s, _, info_s = single.step(a_s)
        _, _, _, _, info_v = vec.step([a_v])
        if t_s:
            _, info_s = single.reset(seed=12)
    sent_s = [r.to_dict() for batch in single_judge.batches for r in batch]
    sent_v = [r.to_dict() for batch in vector_judge.batches for r in batch]
    assert sent_s and sent_s[:2] == sent_v[:2]
