"""Held sub-envs (GRPO's waiting ones) are neither stepped nor judged nor recorded by the vector feedback wrappers."""

import pytest

import rrm_gym  # noqa: F401  (registers the rrm/* envs)
from rrm_gym.judges import make
from rrm_gym.wrappers import make_vector_env
from rrm_gym.wrappers.hold import HOLD


class CountingJudge:
    """The reference judge, counting the requests it is asked to judge."""

    def __init__(self):
        self.inner = make("reference")
        self.requests = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __call__(self, requests):
        self.requests += len(requests)
        return self.inner(requests)


@pytest.mark.parametrize("feedback", ["reward", "unified"])
def test_a_held_sub_env_is_not_stepped_judged_or_recorded(feedback):
    judge = CountingJudge()
    envs = make_vector_env("rrm/WebWalker-v0", 2, feedback=feedback, judge=judge, difficulty="easy")
    obs, _ = envs.reset(seed=0)
    steps_before = envs._recorders[1].steps[:] if hasattr(envs, "_recorders") else None
    for _ in range(3):  # sub-env 0 answers (an attempt ends each step), sub-env 1 waits
        obs2, reward, terminated, truncated, infos = envs.step(["\\boxed{I do not know}", HOLD])
        assert obs2[1] == obs[1] and reward[1] == 0.0 and not terminated[1] and not truncated[1]
    assert judge.requests >= 2  # sub-env 0's attempts were judged ...
    first = judge.requests
    if steps_before is not None:
        assert envs._recorders[1].steps == steps_before  # ... sub-env 1 recorded nothing
    envs.step([HOLD, HOLD])
    assert judge.requests == first  # holding everyone judges nothing
    envs.close()
