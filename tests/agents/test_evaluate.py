import random

import pytest

from rrm_gym.agents.run.evaluate import EvalResult, evaluate, wilson_interval
from tests.agents.tiny_env import TinyEnv, oracle_action


def oracle_agent(convs):
    return [oracle_action(c) for c in convs]


def make_random_agent(seed: int):
    rng = random.Random(seed)

    def agent(convs):
        return [rng.choice(["look: A", "look: Q", "\\boxed{apple}", "hello", "\\boxed{tiger}"]) for _ in convs]

    return agent


def test_wilson_interval_brackets_the_rate():
    low, high = wilson_interval(8, 10)
    assert low < 0.8 < high
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_oracle_agent_solves_every_held_out_task():
    res = evaluate(oracle_agent, lambda: TinyEnv(), episodes=7, num_envs=3, progress=False)
    assert isinstance(res, EvalResult)
    assert res.episodes == 7 and res.success_rate == 1.0 and res.mean_reward == 1.0
    assert res.ci_low > 0.5 and res.ci_high == 1.0
    assert res.mean_steps == 2.0
    assert all(t.startswith("test-") for t in res.per_task)  # held-out split
    assert sum(row["episodes"] for row in res.per_task.values()) == 7
    assert res.to_dict()["success_rate"] == 1.0


def test_random_agent_is_worse_and_results_are_deterministic():
    a = evaluate(make_random_agent(0), lambda: TinyEnv(), episodes=20, num_envs=4, progress=False)
    b = evaluate(make_random_agent(0), lambda: TinyEnv(), episodes=20, num_envs=4, progress=False)
    assert a.success_rate < 1.0
    assert a.to_dict() == b.to_dict()


def test_same_tasks_whatever_num_envs():
    a = evaluate(oracle_agent, lambda: TinyEnv(), episodes=6, num_envs=1, seed=5, progress=False)
    b = evaluate(oracle_agent, lambda: TinyEnv(), episodes=6, num_envs=6, seed=5, progress=False)
    assert a.per_task == b.per_task


def test_train_split_and_bad_agent():
    res = evaluate(oracle_agent, lambda: TinyEnv(), episodes=3, split="train", progress=True)
    assert all(t.startswith("train-") for t in res.per_task)
    with pytest.raises(ValueError, match="actions"):
        evaluate(lambda convs: [], lambda: TinyEnv(), episodes=2, progress=False)
    with pytest.raises(ValueError):
        evaluate(oracle_agent, lambda: TinyEnv(), episodes=0)


def webwalker_oracle(episodes: int, seed: int):
    """A scripted agent that follows the gold path of each held-out WebWalker task, then answers."""
    import gymnasium as gym

    import rrm_gym  # noqa: F401

    env = gym.make("rrm/WebWalker-v0", difficulty="easy")
    plans = {}
    for k in range(episodes):
        _, info = env.reset(seed=seed + k, options={"split": "test"})
        ref = env.unwrapped.judge_reference()
        plans[info["question"]] = ([f"click: {b}" for b in ref["gold_path"]], ref["answer"])

    def agent(convs):
        actions = []
        for conv in convs:
            first = next(m["content"] for m in conv if m["role"] == "user")
            question = next(q for q in plans if q in first)
            path, answer = plans[question]
            done = sum(1 for m in conv if m["role"] == "assistant")
            actions.append(path[done] if done < len(path) else "\\boxed{" + answer + "}")
        return actions

    return agent


def test_webwalker_oracle_beats_random():
    oracle = evaluate(webwalker_oracle(6, seed=11), "rrm/WebWalker-v0", episodes=6, seed=11, num_envs=3,
                      env_kwargs={"difficulty": "easy"}, progress=False)
    assert oracle.success_rate == 1.0 and oracle.episodes == 6
    rnd = evaluate(make_random_agent(1), "rrm/WebWalker-v0", episodes=6, seed=11, num_envs=3,
                   env_kwargs={"difficulty": "easy"}, progress=False)
    assert rnd.success_rate < oracle.success_rate
    assert set(rnd.per_task) == set(oracle.per_task)  # same held-out tasks for both agents
