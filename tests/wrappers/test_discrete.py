"""DiscreteActionWrapper on a small real TextEnv (doors with codes), alone and with the feedback wrappers."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import rrm_gym  # noqa: F401 - registers envs
from rrm_gym.envs.actions import Tool, ToolCall
from rrm_gym.envs.base import Task, TextEnv, ToolError
from rrm_gym.types import Judgement
from rrm_gym.wrappers import UnifiedWrapper
from rrm_gym.wrappers.discrete import DiscreteActionWrapper
from rrm_gym.wrappers.text_encoder import TextEncoderWrapper

DOORS = ("red", "green", "blue", "amber", "violet")
BACK = '<tool_call>{"name": "back", "arguments": {}}</tool_call>'


def _code(task_index: int, door: str, split: str) -> str:
    return f"{split[:2]}{(task_index * 7919 + DOORS.index(door) * 104729) % 9000 + 1000}"


class DoorsEnv(TextEnv):
    """Open one of five doors, read its code, answer the code of the door the question names.

    ``valid_actions``: ``open: <door>`` for each door in the hall; the ``back`` tool call and ``\\boxed{<code>}``
    behind a door.
    Gold path: open the named door, answer its code (2 steps). 30 tasks per split, disjoint codes.
    """

    def __init__(self, n_tasks: int = 30, no_actions: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_tasks = n_tasks
        self.no_actions = no_actions
        self.room: str | None = None

    def _new_task(self, options: dict[str, Any]) -> Task:
        split = options["split"]
        if options.get("task_id"):
            i = int(str(options["task_id"]).rsplit("-", 1)[1])
        else:
            i = int(self.np_random.integers(self.n_tasks))
        door = DOORS[i % len(DOORS)]
        return Task(f"{split}-{i}", f"What is the code behind the {door} door?", (_code(i, door, split),),
                    reference={"gold_path": [f"open: {door}"]}, meta={"split": split, "index": i})

    def _start_task(self, task: Task) -> None:
        self.room = None

    def _tools(self) -> list[Tool]:
        door = {"type": "object", "properties": {"door": {"type": "string"}}, "required": ["door"]}
        return [Tool("open", "Open a door.", door, primary="door"), Tool("back", "Go back to the hall.")]

    def _call_tool(self, call: ToolCall) -> str:
        if call.name == "back":
            self.room = None
            return "You are back in the hall."
        door = str(call.arguments["door"]).strip().lower()
        if door not in DOORS:
            raise ToolError(f"no door {door!r}; doors: {', '.join(DOORS)}")
        self.room = door
        return f"Behind the {door} door is the code {self._room_code()}."

    def _room_code(self) -> str:
        assert self.task is not None and self.room is not None
        return _code(self.task.meta["index"], self.room, self.task.meta["split"])

    def _state_text(self) -> str:
        return "You are in the hall with five doors." if self.room is None else f"You are behind the {self.room} door."

    def valid_actions(self) -> list[str]:
        if self.no_actions:
            return []
        if self.room is None:
            return [f"open: {d}" for d in DOORS]
        return [BACK, "\\boxed{" + self._room_code() + "}"]


def doors(max_steps: int = 6, **kwargs: Any) -> gym.Env:
    return gym.wrappers.TimeLimit(DoorsEnv(**kwargs), max_steps)


def test_masks_match_valid_actions_and_indices_send_their_text() -> None:
    env = DiscreteActionWrapper(doors(), max_actions=8)
    assert env.action_space == gym.spaces.Discrete(8)
    obs, info = env.reset(seed=3)
    sent = []
    for _ in range(4):
        mask = env.action_masks()
        assert mask.dtype == np.bool_ and mask.shape == (8,)
        assert mask.sum() == len(info["valid_actions"]) > 0
        assert np.array_equal(info["action_mask"], mask)
        assert not mask[len(info["valid_actions"]):].any()
        expected = info["valid_actions"][0]
        obs, reward, terminated, truncated, info = env.step(np.int64(0))
        assert info["action_text"] == expected and info["invalid_action"] is False
        sent.append(expected)
    assert sent == ["open: red", BACK, "open: red", BACK]
    assert "Behind the red door" in obs or "back in the hall" in obs


def test_gold_path_through_indices_succeeds() -> None:
    env = DiscreteActionWrapper(doors(), max_actions=5)
    _, info = env.reset(seed=1)
    door = info["question"].split("behind the ")[1].split()[0]
    _, _, terminated, _, info = env.step(info["valid_actions"].index(f"open: {door}"))
    assert not terminated and info["valid_actions"][0] == BACK
    answer = next(i for i, a in enumerate(info["valid_actions"]) if a.startswith("\\boxed"))
    _, reward, terminated, _, info = env.step(answer)
    assert terminated and reward == 1.0 and info["is_success"] is True


@pytest.mark.parametrize("bad", [4, 7, -1, 2.5, "x", np.array([6]), "\\boxed{42}", "open: red", None])
def test_invalid_index_is_a_wasted_step_with_an_explanation(bad: Any) -> None:
    env = DiscreteActionWrapper(doors(), max_actions=8)
    env.reset(seed=0)
    env.step(0)  # behind a door: 2 actions
    before = list(env.actions)
    obs, reward, terminated, truncated, info = env.step(bad)
    assert info["invalid_action"] is True and info["action_text"] is None
    assert "does not name an available action" in obs and "[0] <tool_call>" in obs
    assert "Invalid action" in obs  # the env saw a malformed action: the step counted there too
    assert reward == 0.0 and not terminated
    assert env.actions == before and env.invalid_steps == 1


def test_invalid_steps_count_towards_the_time_limit() -> None:
    env = DiscreteActionWrapper(doors(max_steps=3), max_actions=8)
    env.reset(seed=0)
    results = [env.step(7) for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]


def test_long_action_lists_are_cut_to_max_actions() -> None:
    env = DiscreteActionWrapper(doors(), max_actions=3)
    _, info = env.reset(seed=0)
    assert info["valid_actions"] == ["open: red", "open: green", "open: blue"]
    assert info["valid_actions_dropped"] == 2 and env.action_masks().all()


def test_no_actions_means_all_true_mask_and_wasted_steps() -> None:
    env = DiscreteActionWrapper(doors(no_actions=True), max_actions=4)
    env.reset(seed=0)
    assert env.action_masks().all()
    obs, _, _, _, info = env.step(0)
    assert info["invalid_action"] is True and "there are 0 now (none)" in obs


def test_list_actions_appends_the_menu() -> None:
    env = DiscreteActionWrapper(doors(), max_actions=8, list_actions=True)
    obs, _ = env.reset(seed=0)
    assert obs.endswith("Actions: [0] open: red; [1] open: green; [2] open: blue; [3] open: amber; [4] open: violet")


def test_bad_max_actions_is_a_clear_error() -> None:
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="max_actions"):
            DiscreteActionWrapper(doors(), max_actions=bad)


def test_sb3_contrib_finds_the_masks_on_env_and_vec_env() -> None:
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
    from stable_baselines3.common.vec_env import DummyVecEnv

    env = gym.wrappers.RecordEpisodeStatistics(DiscreteActionWrapper(doors(), max_actions=6))
    env.reset(seed=0)
    assert is_masking_supported(env)
    assert get_action_masks(env).tolist() == [True] * 5 + [False]
    # a vec env needs array observations: the encoder on top, the masks found through it
    vec = DummyVecEnv([lambda: TextEncoderWrapper(DiscreteActionWrapper(doors(), max_actions=6), dim=32)] * 2)
    vec.reset()
    assert is_masking_supported(vec)
    assert get_action_masks(vec).tolist() == [[True] * 5 + [False]] * 2


@pytest.mark.filterwarnings("ignore:.*different from the unwrapped version")
def test_gymnasium_check_env_passes() -> None:
    from gymnasium.utils.env_checker import check_env

    check_env(DiscreteActionWrapper(DoorsEnv(), max_actions=6), skip_render_check=True)


def _judge(requests: list) -> list[Judgement]:
    return [Judgement(score=0.5, critique="Open the door that the question names.", ok=True) for _ in requests]


def test_above_unified_the_judge_sees_text_and_refinement_brings_fresh_actions() -> None:
    env = DiscreteActionWrapper(UnifiedWrapper(doors(), _judge, lam=0.3, max_refinements=1), max_actions=8)
    _, info = env.reset(seed=2)
    env.step(0)  # open: red
    wrong = next(i for i, a in enumerate(env.actions) if a.startswith("\\boxed"))
    obs, reward, terminated, truncated, info = env.step(wrong)
    assert not (terminated or truncated) and info["attempt"] == 2
    assert "Open the door that the question names." in obs
    trajectory = info["trajectory"]
    turns = trajectory["turns"] if isinstance(trajectory, dict) else trajectory.to_dict()["turns"]
    assert turns[0]["action"] == "open: red"  # the judge read real text, not an index
    assert info["valid_actions"][0] == "open: red" and env.action_masks().sum() == 5  # back in the hall
    assert reward == pytest.approx(info["reward_env"] + 0.15)


def test_below_unified_it_still_steps() -> None:
    env = UnifiedWrapper(DiscreteActionWrapper(doors(), max_actions=8), _judge, max_refinements=0)
    env.reset(seed=0)
    _, _, _, _, info = env.step(0)
    assert info["action_text"] == "open: red"


class DoorsWithAnswerHook(DoorsEnv):
    """Answers not in ``valid_actions`` but offered by an ``answer_actions()`` method."""

    def valid_actions(self) -> list[str]:
        return [a for a in super().valid_actions() if "\\boxed" not in a]

    def answer_actions(self) -> list[str]:
        return [] if self.room is None else [f"The code is {self._room_code()}. \\boxed{{{self._room_code()}}}"]


def test_answer_actions_from_the_env_hook_a_callable_or_none() -> None:
    auto = DiscreteActionWrapper(gym.wrappers.TimeLimit(DoorsWithAnswerHook(), 6), max_actions=4)
    auto.reset(seed=0)
    _, _, _, _, info = auto.step(0)
    assert info["valid_actions"][0] == BACK and info["valid_actions"][1].startswith("The code is ")
    code = info["valid_actions"][1].split("{")[1].rstrip("}")
    _, reward, terminated, _, info = auto.step(1)
    assert terminated and info["final_answer"] == code
    assert info["valid_actions"] == []  # the episode is over: no answer candidates either
    assert reward == float(info["question"].split("behind the ")[1].startswith("red"))

    off = DiscreteActionWrapper(gym.wrappers.TimeLimit(DoorsWithAnswerHook(), 6), answer_actions=None)
    off.reset(seed=0)
    assert off.step(0)[4]["valid_actions"] == [BACK]

    calls = []
    custom = DiscreteActionWrapper(doors(), answer_actions=lambda env, info: calls.append(info) or ["\\boxed{x}"])
    _, info = custom.reset(seed=0)
    assert info["valid_actions"][-1] == "\\boxed{x}" and calls and "question" in calls[0]
    with pytest.raises(ValueError, match="answer_actions"):
        DiscreteActionWrapper(doors(), answer_actions="everything")


class _CandidatesOnly(gym.Env):
    """A foreign env that offers its moves only as ``info["candidate_actions"]`` (one a template to fill in)."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Text(100)
        self.action_space = gym.spaces.Text(100)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        return "pick", {"candidate_actions": ["left", "right", "\\boxed{\u2026}"]}

    def step(self, action: str):
        return "done", float(action == "right"), True, False, {"is_success": action == "right"}


def test_candidate_actions_stand_in_for_valid_actions():
    env = DiscreteActionWrapper(_CandidatesOnly(), max_actions=4)
    _, info = env.reset(seed=0)
    assert info["valid_actions"] == ["left", "right"]  # the template needs writing: not a discrete action
    assert env.step(1)[1] == 1.0
