"""A TextArena-like two-player game (Nim) turned into a single-agent env: the agent is player 0.

``NimGame`` has TextArena's shape (``reset(num_players, seed)``, ``get_observation() -> (player_id, text)``,
``step(action) -> (done, info)``, ``close() -> (rewards, game_info)``, moves like ``[take 2]``, an invalid move loses).
``NimEnv`` plays player 1 with a built-in opponent that draws from ``np_random``. No ``task_id``: C/U replay by seed.
"""

import random
import re
import string

import gymnasium as gym
from gymnasium import spaces

RULES = ("Nim: players take turns removing 1, 2 or 3 stones; whoever takes the last stone wins. "
         "Reply with a move like [take 2].")
MOVE = re.compile(r"\[take ([123])\]")


class NimGame:
    def reset(self, num_players=2, seed=None):
        self.rng = random.Random(seed)
        self.stones = self.rng.randint(7, 12)
        self.player, self.done, self.rewards, self.reason = 0, False, None, ""
        self.messages = {0: [RULES], 1: [RULES]}

    def get_observation(self):
        text = "\n".join(self.messages[self.player] + [f"There are {self.stones} stones left. Your move."])
        self.messages[self.player] = []
        return self.player, text

    def legal_moves(self):
        return [f"[take {k}]" for k in (1, 2, 3) if k <= self.stones]

    def step(self, action):
        match = MOVE.search(str(action))
        take = int(match.group(1)) if match else 0
        me, other = self.player, 1 - self.player
        if not 1 <= take <= self.stones:
            self.done, self.rewards, self.reason = True, {me: -1, other: 1}, f"player {me} made an invalid move"
            return True, {"reason": self.reason}
        self.stones -= take
        self.messages[other].append(f"Player {me} took {take}.")
        if self.stones == 0:
            self.done, self.rewards, self.reason = True, {me: 1, other: -1}, f"player {me} took the last stone"
        self.player = other
        return self.done, {"reason": self.reason}

    def close(self):
        return self.rewards, {"reason": self.reason}


class NimEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self):
        self.observation_space = spaces.Text(max_length=4000, charset=string.printable)
        self.action_space = spaces.Text(max_length=200, charset=string.printable)
        self.game = NimGame()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.game.reset(num_players=2, seed=int(self.np_random.integers(2**31)))
        _, obs = self.game.get_observation()
        return obs, self._info()

    def _info(self):
        return {"question": RULES, "valid_actions": [] if self.game.done else self.game.legal_moves()}

    def step(self, action):
        done, _ = self.game.step(action)
        if not done:  # the built-in opponent answers at once
            moves = self.game.legal_moves()
            done, _ = self.game.step(moves[int(self.np_random.integers(len(moves)))])
        if done:
            rewards, game_info = self.game.close()
            won = rewards[0] > 0
            return f"Game over: {game_info['reason']}.", float(rewards[0]), True, False, {**self._info(),
                                                                                          "is_success": won}
        _, obs = self.game.get_observation()
        return obs, 0.0, False, False, self._info()


gym.register("user/Nim-v0", entry_point=NimEnv)
