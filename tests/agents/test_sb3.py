"""SB3 bridge: MaskablePPO learns rrm/WebWalker-v0 (easy) from the discrete view + hash encoder; save/load/resume."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import rrm_gym  # noqa: F401 - registers envs
from rrm_gym.agents.bridges.sb3.learner import SB3Config, SB3Learner, evaluate_sb3, make_sb3_env, train_sb3
from rrm_gym.judges.constant import ConstantJudge

EASY = {"difficulty": "easy"}


@pytest.mark.slow
def test_maskable_ppo_learns_webwalker_easy_on_held_out_tasks() -> None:
    """40 iterations x 256 steps (~10k env steps, under a minute). Seed 0 (used here) gave test success 0.03
    before and 0.49 after; seeds 1-4 gave 0.01/0.04/0.00/0.01 before and 0.51/0.33/0.30/0.20 after. The margin
    (+0.15) sits below the weakest of these five runs; the run is deterministic for a given seed."""
    learner = SB3Learner(env_id="rrm/WebWalker-v0", env_kwargs=EASY, seed=0)
    before = learner.evaluate(episodes=100, split="test")
    for _ in range(40):
        stats = learner.iteration()
    after = learner.evaluate(episodes=100, split="test")
    print(f"\nWebWalker easy, held-out test tasks: success before={before:.2f} after={after:.2f}")
    assert after >= before + 0.15, (before, after)
    assert stats["total_env_steps"] == 40 * 256 and stats["episodes"] > 0


def _walk_gold_path(env: gym.Env, info: dict, step=None) -> dict:
    """Click along the task's gold path (privileged data, read here only to drive the test)."""
    step = step or env.step
    for title in env.unwrapped.judge_reference()["gold_path"]:
        if title != info["page"]:
            _, _, _, _, info = step(f"click: {title}")
            assert info["page"] == title
    return info


def test_page_fact_answers_are_accepted_and_the_gold_one_succeeds() -> None:
    env = gym.make("rrm/WebWalker-v0", **EASY)
    _, info = env.reset(seed=5)
    answer_actions = env.unwrapped.answer_actions
    assert answer_actions() == [] or all("\\boxed{" in a for a in answer_actions())
    info = _walk_gold_path(env, info)
    answers = answer_actions()
    assert answers and all(a.rstrip().endswith("}") for a in answers)
    rewards = []
    for action in answers:
        probe = gym.make("rrm/WebWalker-v0", **EASY)
        _, pinfo = probe.reset(options={"task_id": info["task_id"]})
        _walk_gold_path(probe, pinfo)
        _, reward, terminated, _, pinfo = probe.step(action)
        assert terminated and "action_error" not in pinfo
        rewards.append(reward)
    assert max(rewards) == 1.0


def test_env_stack_offers_answers_through_the_discrete_view() -> None:
    env = make_sb3_env(SB3Config(env_kwargs=EASY))
    obs, info = env.reset(seed=5)
    assert obs.shape == env.observation_space.shape == (2 * 128 + 12 * 128 + 3 * 12,)
    info = _walk_gold_path(env, info, lambda text: env.step(env.get_wrapper_attr("actions").index(text)))
    answers = [i for i, a in enumerate(info["valid_actions"]) if "\\boxed{" in a]
    assert answers and env.get_wrapper_attr("action_masks")()[answers].all()


def test_iteration_stats_with_unified_feedback_and_save_load_resume(tmp_path) -> None:
    judge = ConstantJudge(0.5, "Follow the buttons that match the question.")
    learner = SB3Learner(env_id="rrm/WebWalker-v0", env_kwargs=EASY, feedback="unified", n_steps=64,
                         num_envs=2, seed=3, judge=judge)
    stats = learner.iteration()
    assert stats["env_steps"] == 128 and stats["total_env_steps"] == 128
    assert stats["episodes"] >= 1 and 0.0 <= stats["success_rate"] <= 1.0
    assert stats["judged_attempts"] >= stats["episodes"] and judge.requests_seen >= stats["judged_attempts"]
    assert stats["judge_score"] == pytest.approx(0.5) and stats["judge_failures"] == 0
    assert stats["reward_rrm"] > 0 and stats["refinements"] >= 1
    assert stats["reward"] == pytest.approx(stats["reward_env"] + stats["reward_rrm"])
    assert math.isfinite(stats["train/loss"]) and "train/entropy_loss" in stats

    learner.save(tmp_path / "ckpt")
    restored = SB3Learner.from_checkpoint(tmp_path / "ckpt", judge=judge)
    assert restored.config.feedback == "unified" and restored.num_timesteps == 128 and restored.iterations == 1
    obs = learner.vec_env.reset()
    np.testing.assert_array_equal(learner.model.policy.predict(obs, deterministic=True)[0],
                                  restored.model.policy.predict(obs, deterministic=True)[0])
    restored.iteration()
    assert restored.num_timesteps == 256 and restored.iterations == 2

    fresh = SB3Learner(env_id="rrm/WebWalker-v0", env_kwargs=EASY, feedback="unified", n_steps=64, num_envs=2,
                       seed=99, judge=judge)
    fresh.load(tmp_path / "ckpt")
    assert fresh.num_timesteps == 128
    with pytest.raises(FileNotFoundError):
        fresh.load(tmp_path / "missing")


def test_train_sb3_plain_ppo_and_evaluate_sb3() -> None:
    model = train_sb3("rrm/WebWalker-v0", feedback="none", total_steps=64, seed=1, progress=False, algo="ppo",
                      n_steps=64, env_kwargs=EASY)
    assert type(model).__name__ == "PPO"
    rate = evaluate_sb3(model, "rrm/WebWalker-v0", episodes=3, split="test")
    assert 0.0 <= rate <= 1.0
    with pytest.raises(ValueError, match="expects observations of shape"):
        evaluate_sb3(model, "rrm/WebWalker-v0", episodes=1, config=SB3Config(max_actions=5, env_kwargs=EASY))
    with pytest.raises(ValueError, match="episodes"):
        evaluate_sb3(model, "rrm/WebWalker-v0", episodes=0)


@pytest.mark.parametrize("bad", [{"algo": "dqn"}, {"answer_actions": "all"}, {"n_steps": 0}, {"num_envs": 0}])
def test_config_errors_are_clear(bad: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        SB3Config(**bad)
