"""A one-step sum question drawn with Python's global ``random`` (a common slip): the reset seed does not pin it.

It has neither a ``task_id`` nor a seeded reset, so no task can be replayed: C/U must be refused in one sentence,
while ``none`` and ``reward`` work.
"""

import random
import string

import gymnasium as gym
from gymnasium import spaces


class LuckyDrawEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Text(max_length=500, charset=string.printable)
        self.action_space = spaces.Text(max_length=100, charset=string.printable)
        self.a = self.b = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.a, self.b = random.randint(0, 10**6), random.randint(0, 10**6)
        total = self.a + self.b
        return f"What is {self.a} + {self.b}?", {"valid_actions": [str(total - 1), str(total), str(total + 1)]}

    def step(self, action):
        right = str(action).strip() == str(self.a + self.b)
        return ("Right." if right else "Wrong."), float(right), True, False, {"is_success": right}


gym.register("user/LuckyDraw-v0", entry_point=LuckyDrawEnv)
