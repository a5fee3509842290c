"""One way to ask for a split, a difficulty or a task: reset options that foreign envs may ignore (issue 13)."""

import sys

import gymnasium as gym
import pytest

from rrm_gym.envs.from_id import constructor_accepts, import_env_module, make_task_env, make_task_vec
from rrm_gym.envs.task_options import TaskOptionsWrapper, split_task_kwargs, task_options
from rrm_gym.wrappers import make_env, make_vector_env
from tests.conformance.envs import FREE_TEXT, ONE_STEP_QA, ROOMS


def test_task_keys_leave_the_make_kwargs():
    make, options = split_task_kwargs({"split": "test", "difficulty": None, "max_episode_steps": 3, "task_id": "t"})
    assert make == {"max_episode_steps": 3} and options == {"split": "test", "task_id": "t"}
    assert task_options(difficulty="hard") == {"difficulty": "hard"}


def test_an_env_without_constructor_kwargs_gets_split_and_difficulty_as_reset_options():
    # DoorEnv.__init__() got an unexpected keyword argument 'split' was the bug: now no kwarg reaches it
    env = make_task_env(ONE_STEP_QA, split="test", difficulty="hard", max_episode_steps=2)
    assert isinstance(env, TaskOptionsWrapper) and env.task_options == {"split": "test", "difficulty": "hard"}
    obs, _ = env.reset(seed=0)
    assert "Choices" in obs and env.spec.max_episode_steps == 2
    for feedback in ("none", "unified"):
        make_env(ONE_STEP_QA, feedback=feedback, split="test", difficulty="easy").reset(seed=0)
    make_vector_env(ONE_STEP_QA, 2, feedback="critique", split="test").reset(seed=0)


def test_a_constructor_that_names_difficulty_gets_it_and_reset_options_win():
    assert constructor_accepts(FREE_TEXT) == {"difficulty"} and constructor_accepts(ONE_STEP_QA) == frozenset()
    assert constructor_accepts("rrm/WebWalker-v0") == {"split", "difficulty"}
    env = make_task_env(FREE_TEXT, difficulty="hard")
    assert len(env.reset(seed=0)[1]["task_id"]) == 6  # the hard words
    assert env.reset(options={"task_id": "owl"})[1]["task_id"] == "owl"


def test_the_split_reaches_envs_that_read_it_single_and_vector():
    env = make_task_env(ROOMS, split="test")
    assert env.reset(seed=0)[1]["split"] == "test"
    assert env.reset(seed=0, options={"split": "train"})[1]["split"] == "train"  # the caller's options win
    envs = make_task_vec(ROOMS, 2, split="test")
    assert list(envs.reset(seed=0)[1]["split"]) == ["test", "test"]
    ww = make_task_env("rrm/WebWalker-v0", split="test", difficulty="easy")
    info = ww.reset(seed=1)[1]
    assert (info["split"], info["difficulty"]) == ("test", "easy")


def test_a_given_env_gets_the_task_options_too():
    env = make_env(gym.make("rrm/WebWalker-v0"), feedback="none", split="test")
    assert env.reset(seed=0)[1]["split"] == "test"


def test_a_module_id_is_imported_from_the_current_folder(monkeypatch, tmp_path):
    (tmp_path / "my_user_envs.py").write_text(
        "import gymnasium as gym\n"
        "from tests.conformance.user_envs.one_step_qa import OneStepQA\n"
        "gym.register('mine/QA-v0', entry_point=OneStepQA)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "my_user_envs", raising=False)
    import_env_module("my_user_envs:mine/QA-v0")
    assert "my_user_envs" in sys.modules
    assert make_task_env("my_user_envs:mine/QA-v0", split="test").reset(seed=0)[0]
    with pytest.raises(ModuleNotFoundError):
        import_env_module("no_such_module_anywhere:x/Y-v0")
