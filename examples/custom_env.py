"""Your own env with rrm-gym: a short, complete text env, wrapped with unified feedback (U), trained from the CLI.

A plain Gymnasium env (no rrm_gym import needed) that gives rrm-gym everything it can use: text spaces,
``info["question"]``, a ``task_id`` that ``reset(options={"task_id": ...})`` restarts (C/U refine the same task),
the moves in ``info["valid_actions"]`` (the ``choose`` mode and SB3 pick from them), a ``split`` reset option
(held-out test tasks), ``info["is_success"]`` and ``judge_reference()`` (privileged data for the reference judge).

Next to this file (``module:Id`` ids import ``custom_env.py`` from the current folder)::

    rrm-gym check custom_env:custom/GuessNumber-v0
    rrm-gym train --env custom_env:custom/GuessNumber-v0 --agent sb3 --feedback unified --total-steps 2048
    rrm-gym train --env custom_env:custom/GuessNumber-v0 --agent ppo --feedback unified --iterations 4

As a script it plays one episode under U with the offline reference judge: ``python examples/custom_env.py``.
"""

import string

import gymnasium as gym
from gymnasium import spaces

HIGH = 16


class GuessNumberEnv(gym.Env):
    """Guess a number from 1 to 16; each wrong guess says higher or lower. Odd numbers train, even ones test."""

    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Text(max_length=2000, charset=string.printable)
        self.action_space = spaces.Text(max_length=200, charset=string.printable)
        self.target, self.low, self.high = 1, 1, HIGH

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        options = options or {}
        if options.get("task_id"):
            self.target = int(options["task_id"].removeprefix("n"))
        else:  # train tasks are the odd numbers, test tasks the even ones
            self.target = 2 * int(self.np_random.integers(HIGH // 2)) + (2 if options.get("split") == "test" else 1)
        self.low, self.high = 1, HIGH
        return f"I think of a number from 1 to {HIGH}. Reply 'guess N'.", self._info()

    def _info(self, **extra):
        done = "is_success" in extra
        moves = [] if done else [f"guess {n}" for n in range(self.low, self.high + 1)]
        return {"task_id": f"n{self.target}", "question": f"Which number from 1 to {HIGH} am I thinking of?",
                "split": "test" if self.target % 2 == 0 else "train", "valid_actions": moves, **extra}

    def step(self, action):
        words = str(action).strip().lower().split()
        if len(words) != 2 or words[0] != "guess" or not words[1].isdigit():
            return "Reply 'guess N' with a number N.", 0.0, False, False, self._info()
        n = int(words[1])
        if n == self.target:
            return f"{n} is right!", 1.0, True, False, self._info(is_success=True, final_answer=str(n))
        if n < self.target:
            self.low = max(self.low, n + 1)
        else:
            self.high = min(self.high, n - 1)
        return f"{n} is too {'low' if n < self.target else 'high'}.", 0.0, False, False, self._info()

    def judge_reference(self):
        return {"answer": str(self.target)}


gym.register("custom/GuessNumber-v0", entry_point=GuessNumberEnv, max_episode_steps=6)


if __name__ == "__main__":
    import rrm_gym
    from rrm_gym.judges import make
    from rrm_gym.wrappers import UnifiedWrapper

    print(rrm_gym.check_env_support(gym.make("custom/GuessNumber-v0"), episodes=2))
    env = UnifiedWrapper(gym.make("custom/GuessNumber-v0"), make("reference"))
    obs, info = env.reset(seed=0)
    done = False
    while not done:
        action = info["valid_actions"][len(info["valid_actions"]) // 2]  # bisect
        obs, reward, terminated, truncated, info = env.step(action)
        print(f"attempt {info['attempt']}  {action!r:12} -> {obs[:70]!r}  reward {reward:+.2f}")
        done = terminated or truncated
