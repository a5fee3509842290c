"""The compact (choose-mode) prompt of a refinement carries the critique, however the refinement is started."""

import gymnasium as gym

import rrm_gym  # noqa: F401  (registers the rrm/* envs)
from rrm_gym.agents.llm.prompts import CompactTracker
from rrm_gym.judges import make
from rrm_gym.wrappers import CritiqueObservationWrapper


def _refinement_start():
    env = CritiqueObservationWrapper(gym.make("rrm/WebWalker-v0", difficulty="easy"), judge=make("reference"))
    obs, info = env.reset(seed=3)
    obs, _, terminated, truncated, info = env.step("\\boxed{I do not know}")
    assert not (terminated or truncated) and info["attempt"] == 2
    return obs, info


def test_start_of_a_refinement_puts_the_wrappers_critique_in_the_prompt():
    obs, info = _refinement_start()
    critique = info["rrm"]["critique"]
    assert critique.strip()
    tracker = CompactTracker(1)
    tracker.start(0, obs, info)  # as the held-out evaluation does: no explicit critique argument
    prompt = "\n".join(m["content"] for m in tracker.conversations()[0])
    assert "Feedback on your previous attempt:" in prompt
    assert critique.split()[0] in prompt


def test_a_fresh_episode_has_no_feedback_line():
    env = gym.make("rrm/WebWalker-v0", difficulty="easy")
    obs, info = env.reset(seed=3)
    tracker = CompactTracker(1)
    tracker.start(0, obs, info)
    prompt = "\n".join(m["content"] for m in tracker.conversations()[0])
    assert "Feedback on your previous attempt" not in prompt
