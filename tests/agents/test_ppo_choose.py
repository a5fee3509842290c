"""PPO in the ``choose`` action mode, and the learner details the review asked for (one test per fix)."""

import math

import numpy as np
import pytest
import torch
from gymnasium.vector import SyncVectorEnv

from rrm_gym.agents.llm.config import GRPOConfig, PPOConfig
from rrm_gym.agents.llm.policy import LLMPolicy
from rrm_gym.agents.llm.ppo import PPO, token_advantages
from rrm_gym.agents.llm.rollout import TurnRecord
from rrm_gym.judges.constant import ConstantJudge
from rrm_gym.wrappers.vector import UnifiedWrapper
from tests.agents.tiny_env import ChoiceTinyEnv


def make_policy(**kw):
    return LLMPolicy(seed=0, max_new_tokens=6, max_prompt_tokens=256, lora_layers=4, **kw)


def make_envs(n=2, max_steps=2):
    base = SyncVectorEnv([lambda: ChoiceTinyEnv(max_steps=max_steps) for _ in range(n)])
    return UnifiedWrapper(base, ConstantJudge(0.5), lam=0.3, max_refinements=1)


@pytest.fixture(scope="module")
def policy():
    return make_policy()


@pytest.mark.slow
def test_choose_mode_ratio_is_one_before_the_first_update(policy):
    learner = PPO(policy, make_envs(), PPOConfig(num_steps=3, num_minibatches=1, update_epochs=1, seed=0))
    stats = learner.iteration()
    assert stats["approx_kl"] < 1e-4 and stats["clipfrac"] == 0.0  # rollout and update score the same way
    assert stats["kl"] < 1e-6 and stats["entropy"] > 0
    assert 0 < stats["prompt_tokens_per_turn"] < 200  # compact prompts


def test_the_policy_owns_the_sampling_distribution(policy):
    for cls in (PPOConfig, GRPOConfig):
        with pytest.raises(ValueError, match="unknown"):
            cls.from_dict({"temperature": 0.3})  # no second temperature to disagree with the policy's
    top_p = policy.top_p
    policy.top_p = 0.9
    try:
        with pytest.raises(ValueError, match="top_p"):
            PPO(policy, make_envs(1))
    finally:
        policy.top_p = top_p


def test_generation_ignores_the_models_own_logits_processors():
    from rrm_gym.agents.llm.generation import sampling_config

    class Stub:
        max_new_tokens, stop_ids, pad_id, top_p = 4, [2], 2, 1.0

    config = sampling_config(Stub(), greedy=False, temperature=0.7, top_p=None, max_new_tokens=None,
                             min_new_tokens=None)
    assert config.repetition_penalty in (None, 1.0) and config.top_k in (None, 0)
    assert config.temperature == 0.7 and config.do_sample


def test_truncation_bootstraps_from_the_next_state_value():
    cut = TurnRecord(0, [1], [5], [0.0], [0.5], reward=0.0, done=True, terminated=False, bootstrap=0.8)
    ended = TurnRecord(0, [1], [5], [0.0], [0.5], reward=0.0, done=True, terminated=True, bootstrap=None)
    adv_cut, _ = token_advantages([cut], last_value=0.0, gamma=1.0, lam=1.0)
    adv_end, _ = token_advantages([ended], last_value=0.0, gamma=1.0, lam=1.0)
    assert adv_cut == [[pytest.approx(0.3)]] and adv_end == [[pytest.approx(-0.5)]]


@pytest.mark.slow
def test_collector_records_bootstrap_values_on_time_limits(policy):
    envs = make_envs(2, max_steps=1)  # every attempt that does not answer at once is cut by the time limit
    learner = PPO(policy, envs, PPOConfig(num_steps=4, seed=1))
    turns = [t for env_turns in learner.collect() for t in env_turns]
    cut = [t for t in turns if t.done and not t.terminated]
    assert cut and all(t.bootstrap is not None and math.isfinite(t.bootstrap) for t in cut)
    assert all(t.bootstrap is None for t in turns if not t.done or t.terminated)
    assert all(t.choice is not None and t.units == 1 for t in turns)


@pytest.mark.slow
def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        pol = make_policy()
        learner = PPO(pol, make_envs(), PPOConfig(num_steps=3, num_minibatches=1, update_epochs=1, seed=3))
        stats = learner.iteration()
        lora = torch.cat([p.detach().flatten() for n, p in pol.model.named_parameters() if "lora_B" in n])
        keys = ("entropy", "policy_loss", "value_loss", "reward_shaped", "mean_step_reward")
        runs.append((np.array([stats[k] for k in keys]), lora))
    (s1, w1), (s2, w2) = runs
    assert np.array_equal(s1, s2, equal_nan=True)
    assert torch.equal(w1, w2) and w1.abs().sum() > 0  # trained, and identically
    assert np.isfinite(s1[:3]).all()
