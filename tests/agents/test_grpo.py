import pytest
import torch
from gymnasium.vector import SyncVectorEnv

from rrm_gym.agents.llm.config import GRPOConfig
from rrm_gym.agents.llm.grpo import GRPO, group_advantages
from rrm_gym.agents.llm.policy import LLMPolicy
from rrm_gym.judges.constant import ConstantJudge
from rrm_gym.wrappers.vector import CritiqueObservationWrapper, ShapedRewardWrapper, UnifiedWrapper
from tests.agents.tiny_env import TinyEnv


@pytest.fixture(scope="module")
def policy():
    return LLMPolicy(seed=0, max_new_tokens=8, max_prompt_tokens=256, lora_layers=4, value_head=False,
                     action_mode="generate")


def base_envs(n=2):
    return SyncVectorEnv([lambda: TinyEnv(max_steps=1) for _ in range(n)])


def test_group_advantages_by_hand():
    assert group_advantages([1.0, 0.0, 0.0, 1.0], eps=0.0) == pytest.approx([0.866025] * 1 + [-0.866025] * 2
                                                                            + [0.866025], abs=1e-5)
    assert group_advantages([1.0, 0.0, 0.0, 1.0], scale=False) == [0.5, -0.5, -0.5, 0.5]
    assert group_advantages([0.3, 0.3, 0.3]) == [0.0, 0.0, 0.0]


@pytest.mark.slow
def test_refined_attempts_join_the_group_of_their_task(policy):
    envs = UnifiedWrapper(base_envs(2), ConstantJudge(0.5), lam=0.3, max_refinements=1)
    learner = GRPO(policy, envs, GRPOConfig(group_size=4, tasks_per_iteration=1, num_minibatches=1,
                                                       kl_coef=0.04))
    stats = learner.iteration()
    (group,) = learner.last_groups
    members = group["members"]
    assert len(members) == 8  # 4 episodes (2 rounds of 2 sub-envs) x 2 attempts: 2n, as in the paper
    assert {m["task_id"] for m in members} == {group["task_id"]}  # every sub-env and round played the same task
    episodes = {m["episode"] for m in members}
    assert len(episodes) == 4
    for episode in episodes:
        assert sorted(m["attempt"] for m in members if m["episode"] == episode) == [1, 2]
    assert sum(m["advantage"] for m in members) == pytest.approx(0.0, abs=1e-6)
    for m in members:  # attempt reward: env outcome + lam * score of the wrapper, per attempt
        assert m["reward"] == pytest.approx(0.15) or m["reward"] == pytest.approx(1.15)
    assert stats["group_members"] == 8 and stats["episodes"] == 4 and stats["kl"] < 1e-6
    assert {"env_steps", "reward_rrm", "rrm_score", "success_rate", "value_loss", "iteration_time_s"} <= set(stats)
    envs.close()


@pytest.mark.slow
def test_group_without_refinement_and_with_critique_only(policy):
    envs = ShapedRewardWrapper(base_envs(2), ConstantJudge(0.5), lam=0.3)
    learner = GRPO(policy, envs, GRPOConfig(group_size=2, num_minibatches=1, kl_coef=0.0))
    learner.iteration()
    assert [m["attempt"] for m in learner.last_groups[0]["members"]] == [1, 1]
    envs.close()
    envs = CritiqueObservationWrapper(base_envs(2), ConstantJudge(0.5), max_refinements=1)
    learner = GRPO(policy, envs, GRPOConfig(group_size=2, num_minibatches=1, kl_coef=0.0))
    learner.iteration()
    members = learner.last_groups[0]["members"]
    assert sorted(m["attempt"] for m in members) == [1, 1, 2, 2]
    assert all(m["reward"] in (0.0, 1.0) for m in members)  # C alone passes env rewards through
    envs.close()


@pytest.mark.slow
def test_update_changes_adapter_and_lowers_loss_and_state_round_trip(policy, tmp_path):
    envs = UnifiedWrapper(base_envs(2), ConstantJudge(0.5), lam=0.3, max_refinements=1)
    learner = GRPO(policy, envs, GRPOConfig(group_size=2, num_minibatches=1, learning_rate=1e-4, kl_coef=0.04))
    _, turns = learner.collect_group()
    rows = {"prompts": [t.prompt_ids for t in turns], "actions": [t.action_ids for t in turns],
            "logprobs": [t.logprobs for t in turns], "advantages": [(-1.0) ** k for k in range(len(turns))]}
    everything = list(range(len(turns)))
    before = {n: p.detach().clone() for n, p in policy.model.named_parameters() if p.requires_grad}
    learner.prepare(rows)
    with torch.no_grad():
        loss_before = learner.loss(rows, everything)[0].item()
    learner.update(rows)
    with torch.no_grad():
        loss_after = learner.loss(rows, everything)[0].item()
    assert loss_after < loss_before
    after = {n: p.detach() for n, p in policy.model.named_parameters() if p.requires_grad}
    assert any(not torch.equal(before[k], after[k]) for k in before)

    torch.save(learner.state_dict(), tmp_path / "grpo.pt")
    expected = learner.rng.integers(1 << 30, size=2).tolist()
    fresh = GRPO(policy, envs, GRPOConfig(group_size=2))
    fresh.load_state_dict(torch.load(tmp_path / "grpo.pt", weights_only=False))
    assert fresh.rng.integers(1 << 30, size=2).tolist() == expected
    assert fresh.optimizer.state_dict()["state"].keys() == learner.optimizer.state_dict()["state"].keys()
    envs.close()


def test_config_validation():
    with pytest.raises(ValueError, match="group_size"):
        GRPOConfig(group_size=1)
    with pytest.raises(ValueError):
        GRPOConfig(learning_rate=0)
    assert not hasattr(GRPOConfig(), "temperature")  # sampling belongs to the policy
