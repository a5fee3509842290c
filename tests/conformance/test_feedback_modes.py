"""Every user env under every feedback mode, single and vector, with the offline reference judge (issue 13)."""

import random

import pytest

from rrm_gym.wrappers import make_env, make_vector_env
from tests.conformance.envs import TEXT_ENVS
from tests.conformance.helpers import pick, play

MODES = ("none", "critique", "reward", "unified")


@pytest.mark.parametrize("feedback", MODES)
@pytest.mark.parametrize("env_id", TEXT_ENVS)
def test_single_env(env_id, feedback):
    env = make_env(env_id, feedback=feedback, judge="reference", split="test", max_episode_steps=4)
    for seed in range(2):
        steps = play(env, seed)
        infos = [info for _, info in steps]
        if feedback == "none":
            assert not any("rrm" in i for i in infos)
            continue
        judged = [i for i in infos if "rrm" in i]
        assert judged and all(0.0 <= i["rrm"]["score"] <= 1.0 for i in judged)
        lam_part = [i["reward_rrm"] == pytest.approx(0.3 * i["rrm"]["score"]) for i in judged]
        assert all(lam_part) if feedback in ("reward", "unified") else all(i["reward_rrm"] == 0.0 for i in judged)
        if feedback in ("critique", "unified"):  # the refinement restarts the same task, critique included
            obs, refined = next((o, i) for o, i in steps if "previous" in i)
            assert refined["attempt"] == 2 and max(i["attempt"] for i in infos) == 2
            assert steps[0][0] in obs and refined.get("task_id") == infos[0].get("task_id")
            assert refined["rrm"]["critique"] and refined["rrm"]["critique"][:40] in obs
    env.close()


def _candidates(infos, i):
    key = "valid_actions"
    return {key: infos[key][i]} if key in infos and infos[f"_{key}"][i] else {}


@pytest.mark.parametrize("feedback", MODES)
@pytest.mark.parametrize("env_id", TEXT_ENVS)
def test_vector_env(env_id, feedback):
    envs = make_vector_env(env_id, 2, feedback=feedback, judge="reference", split="test", max_episode_steps=4)
    rng = random.Random(0)
    _, infos = envs.reset(seed=0)
    judged = attempts = 0
    for _ in range(12):
        actions = [pick(_candidates(infos, i), rng) for i in range(2)]
        _, _, _, _, infos = envs.step(actions)
        judged += int(bool(infos.get("_rrm", [False, False]).any())) if "_rrm" in infos else 0
        attempts = max(attempts, int(max(infos.get("attempt", [1]))))
    envs.close()
    assert (judged > 0) == (feedback != "none")
    assert (attempts == 2) == (feedback in ("critique", "unified"))
