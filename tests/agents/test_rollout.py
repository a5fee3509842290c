import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rrm_gym.agents.llm.policy import LLMPolicy
from rrm_gym.agents.llm.rollout import RolloutCollector, judge_stats, wrapper_stats
from rrm_gym.judges.constant import ConstantJudge
from rrm_gym.wrappers.vector import UnifiedWrapper
from tests.agents.tiny_env import TinyEnv

LAM, SCORE = 0.3, 0.5


@pytest.fixture(scope="module")
def policy():
    return LLMPolicy(seed=0, max_new_tokens=8, max_prompt_tokens=256, lora_layers=4, action_mode="generate")


def make_envs(mode=AutoresetMode.NEXT_STEP, n=2):
    base = SyncVectorEnv([lambda: TinyEnv(max_steps=1) for _ in range(n)], autoreset_mode=mode)
    return UnifiedWrapper(base, ConstantJudge(SCORE, critique="CRITIQUE-MARK"), lam=LAM, max_refinements=1)


def check_records(records_per_env):
    for records in records_per_env:
        for rec in records:
            assert len(rec.action_ids) == len(rec.logprobs) == len(rec.values) >= 1
            assert rec.attempt_done  # max_steps=1: every action ends its attempt
            # the wrapper's reward: env outcome (0 or 1) + lam * score, on the step that ends the attempt
            assert rec.reward == pytest.approx(LAM * SCORE) or rec.reward == pytest.approx(1 + LAM * SCORE)
        attempts = [r.attempt for r in records]
        assert attempts[:2] == [1, 2]  # attempt 1, then the refinement
        assert [r.done for r in records][:2] == [False, True]


def test_next_step_autoreset_skips_the_reset_step(policy):
    envs = make_envs()
    collector = RolloutCollector(policy, envs)
    collector.reset(seed=0)
    per_env = [[], []]
    none_steps = 0
    for _ in range(5):
        for i, rec in enumerate(collector.step()):
            if rec is None:
                none_steps += 1
            else:
                per_env[i].append(rec)
    check_records(per_env)
    assert none_steps == 2  # step 3 is the autoreset step of both envs: no action generated, nothing recorded
    assert [len(r) for r in per_env] == [4, 4]
    assert per_env[0][2].episode != per_env[0][1].episode and per_env[0][2].attempt == 1
    finished, judgements, steps = collector.drain()
    assert steps == 8 and len(finished) == 4 and len(judgements) == 8  # 2 episodes x 2 attempts per env
    episode = finished[0]
    assert episode["task_id"].startswith("train-") and episode["question"].startswith("What is the secret")
    first, second = episode["attempts"]
    assert first["rrm"]["critique"] == "CRITIQUE-MARK" and first["rrm"]["score"] == SCORE
    assert first["reward_rrm"] == pytest.approx(LAM * SCORE)
    assert "CRITIQUE-MARK" in second["observations"][0]  # the refinement prompt shows the critique
    assert len(first["actions"]) == 1 and len(first["observations"]) == 2
    assert collector.drain() == ([], [], 0)
    envs.close()


def test_same_step_autoreset(policy):
    envs = make_envs(AutoresetMode.SAME_STEP)
    collector = RolloutCollector(policy, envs)
    collector.reset(seed=1)
    per_env = [[], []]
    for _ in range(3):
        records = collector.step()
        assert all(rec is not None for rec in records)  # no step is wasted on an autoreset
        for i, rec in enumerate(records):
            per_env[i].append(rec)
    check_records(per_env)
    assert per_env[0][2].attempt == 1 and per_env[0][2].episode != per_env[0][1].episode
    finished, _, _ = collector.drain()
    assert len(finished) == 2
    for episode in finished:
        assert not episode["attempts"][-1]["observations"][-1].startswith("Question:")  # not the next reset obs
    envs.close()


def test_idle_envs_get_no_action(policy):
    envs = make_envs()
    collector = RolloutCollector(policy, envs)
    collector.reset(seed=2)
    records = collector.step(active=[True, False])
    assert records[0] is not None and records[1] is None
    assert collector.drain()[2] == 1
    envs.close()


def test_judge_and_wrapper_stats(policy):
    stats = judge_stats([{"ok": True, "score": 0.2, "latency_s": 1.0, "cached": True},
                         {"ok": True, "score": 0.6, "latency_s": 3.0, "cached": False},
                         {"ok": False, "score": None, "latency_s": 2.0, "error": "timeout"}])
    assert stats["rrm_score"] == pytest.approx(0.4)
    assert stats["judge_failures"] == 1 and stats["cache_hits"] == 1 and stats["judge_latency_s"] == pytest.approx(2)
    envs = make_envs()
    assert wrapper_stats(envs)["judge_calls"] == 0
    envs.reset(seed=0)
    envs.step(["\\boxed{a}", "\\boxed{b}"])
    assert wrapper_stats(envs)["judge_calls"] == 1  # both attempts judged in one batched call
    assert wrapper_stats(SyncVectorEnv([lambda: TinyEnv()])) is None
    envs.close()


def test_collector_rejects_misuse(policy):
    envs = make_envs()
    collector = RolloutCollector(policy, envs)
    with pytest.raises(RuntimeError, match="reset"):
        collector.step()
    with pytest.raises(ValueError, match="autoreset"):
        RolloutCollector(policy, SyncVectorEnv([lambda: TinyEnv()], autoreset_mode=AutoresetMode.DISABLED))
    envs.close()


def test_async_vector_env(policy):
    from gymnasium.vector import AsyncVectorEnv

    base = AsyncVectorEnv([lambda: TinyEnv(max_steps=1) for _ in range(2)])
    envs = UnifiedWrapper(base, ConstantJudge(SCORE), lam=LAM, max_refinements=1)
    collector = RolloutCollector(policy, envs)
    collector.reset(seed=3)
    per_env = [[], []]
    for _ in range(2):
        for i, rec in enumerate(collector.step()):
            per_env[i].append(rec)
    check_records(per_env)
    assert len(collector.drain()[0]) == 2
    envs.close()
