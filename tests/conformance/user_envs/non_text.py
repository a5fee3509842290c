"""An env whose spaces are not text (a Box observation, Discrete actions): rrm-gym must refuse it in one sentence."""

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class CounterEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Box(0.0, 10.0, shape=(1,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.count = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.count = 0
        return np.array([0.0], dtype=np.float32), {}

    def step(self, action):
        self.count += int(action)
        done = self.count >= 3
        return np.array([self.count], dtype=np.float32), float(done), done, False, {}


gym.register("user/Counter-v0", entry_point=CounterEnv, max_episode_steps=10)
