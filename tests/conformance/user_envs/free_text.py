"""Free-text answers only: spell a word backwards, three tries. No candidate actions at all.

``info["task_id"]`` is the word (``reset(options={"task_id": word})`` restarts it) and the constructor takes a
``difficulty`` (short or long words), as a user's env often does instead of a reset option.
"""

import string

import gymnasium as gym
from gymnasium import spaces

WORDS = {"easy": ("cat", "sun", "map", "pen", "cup"), "hard": ("planet", "garden", "silver", "window", "pencil")}
TRIES = 3


class ReverseEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, difficulty="easy"):
        self.observation_space = spaces.Text(max_length=1000, charset=string.printable)
        self.action_space = spaces.Text(max_length=1000, charset=string.printable)
        self.words = WORDS[difficulty]
        self.word, self.tries = self.words[0], 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        task = (options or {}).get("task_id")
        self.word = task if task else self.words[int(self.np_random.integers(len(self.words)))]
        self.tries = 0
        return f"Write the word '{self.word}' backwards.", {"task_id": self.word, "question": self._question()}

    def _question(self):
        return f"What is '{self.word}' spelled backwards?"

    def step(self, action):
        self.tries += 1
        right = str(action).strip().lower() == self.word[::-1]
        info = {"task_id": self.word, "question": self._question()}
        if right or self.tries >= TRIES:
            return ("Right." if right else "Out of tries."), float(right), True, False, {**info, "is_success": right}
        return "Not quite; try again.", 0.0, False, False, info

    def judge_reference(self):
        return {"answer": self.word[::-1]}


gym.register("user/Reverse-v0", entry_point=ReverseEnv)
