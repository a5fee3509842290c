"""EpisodeLog / summarise_episodes: what the runner records from any learner's env traffic."""

import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rrm_gym.agents.run.episode_log import EpisodeLog, summarise_episodes
from rrm_gym.judges.constant import ConstantJudge
from rrm_gym.wrappers.vector import ShapedRewardWrapper, UnifiedWrapper
from tests.agents.tiny_env import TinyEnv, tiny_tasks


def _answer(box_task_question, split="train"):
    box = box_task_question.split("box ", 1)[1][0]
    word = next(t for t in tiny_tasks(split) if t.question == box_task_question).answers[0]
    return box, word


def test_unified_refinement_is_recorded_as_two_attempts():
    envs = EpisodeLog(UnifiedWrapper(SyncVectorEnv([lambda: TinyEnv(max_steps=3)]), ConstantJudge(0.5), lam=0.3,
                                     max_refinements=1))
    _, info = envs.reset(seed=1)
    question = info["question"][0]
    box, word = _answer(question)
    envs.step(["\\boxed{wrong}"])  # attempt 1 ends: judged, critique, refinement starts
    envs.step([f"look: {box}"])
    envs.step([f"\\boxed{{{word}}}"])  # attempt 2 succeeds: episode over
    [ep] = envs.pop_finished()
    assert envs.env_steps == 3
    assert [a["attempt"] for a in ep["attempts"]] == [1, 2]
    first, second = ep["attempts"]
    assert first["is_success"] is False and second["is_success"] is True
    assert first["final_answer"] == "wrong" and second["final_answer"] == word
    assert [t["action"] for t in first["turns"]] == ["\\boxed{wrong}"]
    assert "Final answer received" in first["turns"][0]["observation"]  # the real observation, from the trajectory
    assert "attempt 2" in second["observation"].lower()  # what the agent saw: the critique observation
    assert first["score"] == second["score"] == 0.5 and first["judge_ok"] and not first["cached"]
    assert ep["success"] and not ep["first_attempt_success"]
    assert ep["return_env"] == pytest.approx(1.0)
    assert ep["return_rrm"] == pytest.approx(0.3)
    assert ep["return_shaped"] == pytest.approx(1.3)
    row = summarise_episodes([ep])
    assert (row["reward_env_mean"], row["reward_rrm_mean"], row["reward_shaped_mean"]) == pytest.approx((1, .3, 1.3))
    assert (row["judge_score_mean"], row["judged_attempts"], row["refinements"]) == (0.5, 2, 1)
    assert row["success_rate"] == 1.0 and row["first_attempt_success_rate"] == 0.0


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_autoreset_steps_are_not_counted(mode):
    base = SyncVectorEnv([lambda: TinyEnv(max_steps=1), lambda: TinyEnv(max_steps=1)], autoreset_mode=mode)
    envs = EpisodeLog(ShapedRewardWrapper(base, ConstantJudge(1.0), lam=0.5))
    envs.reset(seed=0)
    for _ in range(4):
        envs.step(["look: A", "\\boxed{nothing}"])
    finished = envs.pop_finished()
    per_episode_steps = {ep["num_steps"] for ep in finished}
    assert per_episode_steps == {1}
    if mode == AutoresetMode.NEXT_STEP:  # every other step is the ignored autoreset step
        assert envs.env_steps == 4 and len(finished) == 4
    else:
        assert envs.env_steps == 8 and len(finished) == 8
    assert all(ep["attempts"][0]["score"] == 1.0 for ep in finished)
    assert all(ep["return_shaped"] == pytest.approx(ep["return_env"] + 0.5) for ep in finished)
    assert envs.pop_finished() == []


def test_plain_env_without_feedback():
    envs = EpisodeLog(SyncVectorEnv([lambda: TinyEnv(max_steps=2)]))
    envs.reset(seed=0)
    envs.step(["look: Z"])
    envs.step(["look: A"])
    [ep] = envs.pop_finished()
    assert "judge_ok" not in ep["attempts"][0] and ep["success"] is False
    assert ep["attempts"][0]["is_success"] is False and ep["attempts"][0]["final_answer"] is None  # truncated
    row = summarise_episodes([ep])
    assert row["judged_attempts"] == 0 and row["judge_score_mean"] != row["judge_score_mean"]  # NaN: no judge
    assert envs.stats is None
    assert summarise_episodes([])["episodes"] == 0
