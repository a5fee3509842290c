"""A multi-step search with candidate actions: walk the rooms of a house and say where the item is.

The good citizen: ``info["task_id"]`` (restarted by ``reset(options={"task_id": ...})``), ``info["question"]``,
``info["valid_actions"]``, a ``split`` reset option (train and test tasks hide items in different rooms),
``info["is_success"]`` and a ``judge_reference()`` for the reference judge.
"""

import string

import gymnasium as gym
from gymnasium import spaces

DOORS = {"hall": ("kitchen", "study"), "kitchen": ("hall", "garden"), "study": ("hall", "attic"),
         "garden": ("kitchen",), "attic": ("study",)}
ITEMS = ("key", "hat", "book", "lamp", "coin", "map")
TASKS = {
    "train": list(zip(ITEMS, ("kitchen", "study", "attic", "garden", "hall", "attic"), strict=True)),
    "test": list(zip(ITEMS, ("garden", "attic", "kitchen", "study", "study", "hall"), strict=True)),
}


class RoomsEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, render_mode=None):
        self.observation_space = spaces.Text(max_length=2000, charset=string.printable)
        self.action_space = spaces.Text(max_length=200, charset=string.printable)
        self.render_mode = render_mode
        self.task = ("train", 0)
        self.room = "hall"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        options = options or {}
        if options.get("task_id"):
            split, index = options["task_id"].split("-")
            self.task = (split, int(index))
        else:
            split = options.get("split", "train")
            self.task = (split, int(self.np_random.integers(len(TASKS[split]))))
        self.room = "hall"
        return f"Find the room where the {self.item} is. {self._describe()}", self._info()

    @property
    def item(self):
        return TASKS[self.task[0]][self.task[1]][0]

    def _describe(self):
        here = TASKS[self.task[0]][self.task[1]][1] == self.room
        seen = f" You see the {self.item} here." if here else ""
        return f"You are in the {self.room}.{seen} Doors lead to: {', '.join(DOORS[self.room])}."

    def _info(self, done=False):
        moves = [] if done else [f"go {r}" for r in DOORS[self.room]] + [f"answer {self.room}"]
        return {"task_id": f"{self.task[0]}-{self.task[1]}", "question": f"Where is the {self.item}?",
                "valid_actions": moves, "split": self.task[0]}

    def step(self, action):
        words = str(action).strip().lower().split()
        if len(words) == 2 and words[0] == "answer":
            right = words[1] == TASKS[self.task[0]][self.task[1]][1]
            info = {**self._info(done=True), "is_success": right, "final_answer": words[1]}
            return f"You answered {words[1]}.", float(right), True, False, info
        if len(words) == 2 and words[0] == "go" and words[1] in DOORS[self.room]:
            self.room = words[1]
            return self._describe(), 0.0, False, False, self._info()
        return f"Unknown action {action!r}. {self._describe()}", 0.0, False, False, self._info()

    def judge_reference(self):
        return {"answer": TASKS[self.task[0]][self.task[1]][1]}


gym.register("user/Rooms-v0", entry_point=RoomsEnv, max_episode_steps=8)
