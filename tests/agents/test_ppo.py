import numpy as np
import pytest
import torch
from gymnasium.vector import SyncVectorEnv

from rrm_gym.agents.llm.config import PPOConfig
from rrm_gym.agents.llm.policy import LLMPolicy
from rrm_gym.agents.llm.ppo import PPO, compute_gae, token_advantages
from rrm_gym.agents.llm.rollout import TurnRecord
from rrm_gym.judges.constant import ConstantJudge
from rrm_gym.wrappers.vector import UnifiedWrapper
from tests.agents.tiny_env import TinyEnv

REQUIRED = {"env_steps", "episodes", "reward_env", "reward_rrm", "reward_shaped", "rrm_score", "success_rate",
            "judge_latency_s", "judge_failures", "judge_calls", "cache_hits", "policy_loss", "value_loss", "kl",
            "entropy", "clipfrac", "iteration_time_s"}


@pytest.fixture(scope="module")
def policy():
    return LLMPolicy(seed=0, max_new_tokens=8, max_prompt_tokens=256, lora_layers=4, action_mode="generate")


def make_envs(n=2):
    base = SyncVectorEnv([lambda: TinyEnv(max_steps=1) for _ in range(n)])
    return UnifiedWrapper(base, ConstantJudge(0.5), lam=0.3, max_refinements=1)


def lora_snapshot(policy):
    return {n: p.detach().clone() for n, p in policy.model.named_parameters() if p.requires_grad}


def test_gae_on_a_hand_made_example():
    adv, ret = compute_gae(np.array([0.0, 1.0, 0.0, 2.0]), np.array([0.5, 0.4, 0.3, 0.2]),
                           np.array([False, True, False, False]), last_value=0.1, gamma=0.9, lam=0.8)
    # t3: 2 + .9*.1 - .2 = 1.89; t2: (.9*.2 - .3) + .72*1.89 = 1.2408; t1 (done): 1 - .4 = .6;
    # t0: (.9*.4 - .5) + .72*.6 = .292
    assert adv.tolist() == pytest.approx([0.292, 0.6, 1.2408, 1.89])
    assert ret.tolist() == pytest.approx([0.792, 1.0, 1.5408, 2.09])


def test_turn_reward_lands_on_the_last_action_token():
    turns = [TurnRecord(0, [1], [5, 6, 7], [0.0] * 3, [0.0] * 3, reward=1.0),
             TurnRecord(0, [1], [8, 9], [0.0] * 2, [0.0] * 2, reward=0.5, done=True)]
    adv, ret = token_advantages(turns, last_value=123.0, gamma=0.5, lam=1.0)
    assert adv == [pytest.approx([0.28125, 0.5625, 1.125]), pytest.approx([0.25, 0.5])]
    assert ret == adv  # values are zero
    adv, _ = token_advantages(turns[:1], last_value=2.0, gamma=1.0, lam=1.0)  # not done: bootstrap
    assert adv == [pytest.approx([3.0, 3.0, 3.0])]
    with pytest.raises(ValueError, match="value"):
        token_advantages([TurnRecord(0, [1], [2], [0.0], None)], 0.0, 1.0, 1.0)


@pytest.mark.slow
def test_iteration_stats_kl_zero_at_start_and_weights_change(policy):
    envs = make_envs()
    learner = PPO(policy, envs, PPOConfig(num_steps=3, num_minibatches=1, update_epochs=1, seed=0))
    before = lora_snapshot(policy)
    stats = learner.iteration()
    assert set(stats) >= REQUIRED
    assert all(isinstance(v, float) for v in stats.values())
    assert stats["kl"] < 1e-6  # the adapter starts as the identity: policy == reference
    assert stats["env_steps"] == 4 and stats["episodes"] == 2  # 2 envs x (2 attempts + 1 ignored autoreset step)
    assert stats["reward_rrm"] == pytest.approx(2 * 0.3 * 0.5)  # two judged attempts per episode
    assert stats["rrm_score"] == 0.5 and stats["judge_calls"] == 2 and stats["judge_failures"] == 0
    after = lora_snapshot(policy)
    assert any(not torch.equal(before[k], after[k]) for k in before)
    episode = learner.recent_episodes[0]
    assert {"task_id", "question", "attempts"} <= set(episode)
    assert episode["attempts"][0]["rrm"]["score"] == 0.5 and len(episode["attempts"]) == 2
    envs.close()


@pytest.mark.slow
def test_update_lowers_the_loss_on_a_fixed_batch(policy):
    envs = make_envs()
    learner = PPO(policy, envs, PPOConfig(num_steps=2, num_minibatches=1, update_epochs=1, learning_rate=1e-4))
    turns = learner.collect()
    batch = learner.build_batch(turns, learner.bootstrap_values(turns))
    everything = list(range(len(batch["prompts"])))
    learner.prepare(batch)
    with torch.no_grad():
        loss_before = learner.loss(batch, everything)[0].item()
    learner.update(batch)
    with torch.no_grad():
        loss_after, parts = learner.loss(batch, everything)
    assert loss_after.item() < loss_before
    assert parts["kl"] > 0  # the policy moved away from the reference
    envs.close()


@pytest.mark.slow
def test_state_dict_round_trip(policy, tmp_path):
    envs = make_envs()
    learner = PPO(policy, envs, PPOConfig(num_steps=2, num_minibatches=1))
    learner.iteration()
    torch.save(learner.state_dict(), tmp_path / "learner.pt")
    expected_np = learner.rng.integers(1 << 30, size=3).tolist()
    expected_torch = torch.rand(3)
    fresh = PPO(policy, envs, PPOConfig(num_steps=2, num_minibatches=1))
    fresh.load_state_dict(torch.load(tmp_path / "learner.pt", weights_only=False))
    assert (fresh.iterations, fresh.env_steps, fresh.episodes) == (learner.iterations, learner.env_steps,
                                                                   learner.episodes)
    assert fresh.rng.integers(1 << 30, size=3).tolist() == expected_np
    assert torch.equal(torch.rand(3), expected_torch)
    a, b = learner.optimizer.state_dict()["state"], fresh.optimizer.state_dict()["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k]["exp_avg"], b[k]["exp_avg"]) for k in a)
    assert fresh.recent_episodes == learner.recent_episodes
    envs.close()


def test_config_validation_and_value_head_required(policy):
    with pytest.raises(ValueError):
        PPOConfig(num_steps=0)
    with pytest.raises(ValueError, match="unknown"):
        PPOConfig.from_dict({"num_step": 3})
    assert PPOConfig.from_dict(PPOConfig(num_steps=3).to_dict()).num_steps == 3
    head = policy.value_head
    policy.value_head = None
    try:
        with pytest.raises(ValueError, match="value head"):
            PPO(policy, make_envs(1))
    finally:
        policy.value_head = head
