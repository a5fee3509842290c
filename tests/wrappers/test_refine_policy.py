"""The refinement policy of C and U: refine="always" (Reagent-U training) or "on_failure", and which attempt counts.

Issue 12, row "C/U after a correct answer": a correct first answer always started a refinement and a
correct-then-wrong episode ended success=False, with no way to choose otherwise.
"""

import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import rrm_gym.wrappers.vector as vw
from rrm_gym.wrappers import CritiqueObservationWrapper, UnifiedWrapper, make_env
from tests.wrappers.toy_envs import AddEnv, RecordingJudge, answer_of


@pytest.mark.parametrize("wrapper", [CritiqueObservationWrapper, UnifiedWrapper])
def test_on_failure_ends_the_episode_at_a_correct_first_answer(wrapper):
    judge = RecordingJudge()
    env = wrapper(AddEnv(with_task_id=True), judge, refine="on_failure")
    obs, _ = env.reset(seed=3)
    _, _, term, trunc, info = env.step(answer_of(obs))
    assert term and not trunc
    assert info["attempt"] == 1 and info["is_success"] is True
    assert env.stats["refinements"] == 0
    assert judge.calls == (1 if wrapper is UnifiedWrapper else 0)  # C needs no judgement it will not show


@pytest.mark.parametrize("wrapper", [CritiqueObservationWrapper, UnifiedWrapper])
def test_on_failure_still_refines_a_wrong_answer(wrapper):
    env = wrapper(AddEnv(with_task_id=True), RecordingJudge(), refine="on_failure")
    obs, _ = env.reset(seed=3)
    obs2, _, term, _, info = env.step("-1")
    assert not term and info["attempt"] == 2 and "Reviewer critique" in obs2
    _, _, term, _, info = env.step(answer_of(obs))
    assert term and info["is_success"] is True  # some attempt succeeded


def test_always_refines_a_correct_answer_and_the_last_attempt_counts():
    env = UnifiedWrapper(AddEnv(with_task_id=True), RecordingJudge())  # the default: refine="always"
    obs, _ = env.reset(seed=3)
    _, _, term, _, info = env.step(answer_of(obs))
    assert not term and info["attempt"] == 2 and info["previous"]["is_success"] is True
    _, _, term, _, info = env.step("-1")  # correct, then wrong
    assert term and info["is_success"] is False


def test_a_bad_policy_name_is_rejected():
    with pytest.raises(ValueError, match="refine must be one of"):
        CritiqueObservationWrapper(AddEnv(), RecordingJudge(), refine="sometimes")


def test_make_env_passes_the_policy_on():
    env = make_env(AddEnv(with_task_id=True), feedback="critique", judge=RecordingJudge(), refine="on_failure")
    assert env.settings.refine_when == "on_failure" and "refine=on_failure" in repr(env)


def test_vector_on_failure_refines_only_the_sub_env_that_failed():
    def factory():
        return AddEnv(with_task_id=True)

    judge = RecordingJudge()
    envs = vw.UnifiedWrapper(SyncVectorEnv([factory, factory], autoreset_mode=AutoresetMode.NEXT_STEP), judge,
                             refine="on_failure")
    obs, _ = envs.reset(seed=0)
    _, _, terms, _, infos = envs.step([answer_of(obs[0]), "-1"])
    assert terms.tolist() == [True, False]
    assert [int(a) for a in infos["attempt"]] == [1, 2]
    assert envs.stats["refinements"] == 1 and envs.stats["judged_attempts"] == 2

    always = vw.CritiqueObservationWrapper(SyncVectorEnv([factory, factory]), RecordingJudge())
    obs, _ = always.reset(seed=0)
    _, _, terms, _, infos = always.step([answer_of(obs[0]), "-1"])
    assert terms.tolist() == [False, False] and [int(a) for a in infos["attempt"]] == [2, 2]
