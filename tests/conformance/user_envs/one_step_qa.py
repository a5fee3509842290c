"""One-step multiple-choice QA: no ``task_id``, no ``info["question"]``, a constructor without keyword arguments.

The choices are in ``info["valid_actions"]``; one answer ends the episode. The task is drawn from ``np_random``, so
the same reset seed gives the same question (what C/U need to replay it).
"""

import string

import gymnasium as gym
from gymnasium import spaces

QUESTIONS = [
    ("What is the capital of France?", ("Lyon", "Paris", "Nice"), "Paris"),
    ("How many legs has a spider?", ("six", "eight", "ten"), "eight"),
    ("Which planet is known as the red planet?", ("Mars", "Venus", "Jupiter"), "Mars"),
    ("What do bees make?", ("milk", "silk", "honey"), "honey"),
    ("Which gas do plants take in?", ("oxygen", "carbon dioxide", "helium"), "carbon dioxide"),
    ("What is frozen water called?", ("ice", "steam", "fog"), "ice"),
]


class OneStepQA(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Text(max_length=1000, charset=string.printable)
        self.action_space = spaces.Text(max_length=1000, charset=string.printable)
        self.item = QUESTIONS[0]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.item = QUESTIONS[int(self.np_random.integers(len(QUESTIONS)))]
        question, choices, _ = self.item
        return f"{question} Choices: {', '.join(choices)}.", {"valid_actions": list(choices)}

    def step(self, action):
        right = str(action).strip().lower() == self.item[2].lower()
        return ("Correct." if right else "Wrong."), float(right), True, False, {"is_success": right,
                                                                                "valid_actions": []}


gym.register("user/OneStepQA-v0", entry_point=OneStepQA)
