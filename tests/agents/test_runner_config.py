import pytest
import yaml

from rrm_gym.agents.run.config import DEFAULT_BUDGETS, TrainConfig, load_config_file


def test_defaults_are_the_main_job():
    cfg = TrainConfig()
    assert (cfg.env, cfg.feedback, cfg.judge, cfg.agent, cfg.model) == (
        "rrm/WebWalker-v0", "unified", "reference", "ppo", None)
    assert cfg.env_kwargs_resolved() == {"difficulty": "easy", "max_episode_steps": 4}
    assert cfg.budget() == (DEFAULT_BUDGETS["ppo"].get("iterations"), DEFAULT_BUDGETS["ppo"].get("total_steps"))


def test_difficulty_auto_only_for_webwalker():
    assert TrainConfig(env="rrm/Math-v0").env_kwargs_resolved() == {}
    assert TrainConfig(env="rrm/Math-v0", difficulty="hard").env_kwargs_resolved() == {"difficulty": "hard"}
    assert TrainConfig(difficulty=None).env_kwargs_resolved() == {}
    assert TrainConfig(env_kwargs={"difficulty": "medium"}).env_kwargs_resolved()["difficulty"] == "medium"


@pytest.mark.parametrize("suffix, text", [
    (".yaml", "agent: grpo\nseed: 3\niterations: 9\njudge_opts:\n  score: 0.5\n"),
    (".toml", 'agent = "grpo"\nseed = 3\niterations = 9\n[judge_opts]\nscore = 0.5\n'),
    (".toml", '[train]\nagent = "grpo"\nseed = 3\niterations = 9\njudge-opts = {score = 0.5}\n'),
])
def test_file_then_flags(tmp_path, suffix, text):
    path = tmp_path / f"run{suffix}"
    path.write_text(text)
    cfg = TrainConfig.from_sources(load_config_file(path), {"seed": 7})
    assert (cfg.agent, cfg.seed, cfg.iterations, cfg.judge_opts) == ("grpo", 7, 9, {"score": 0.5})


def test_budget_precedence():
    assert TrainConfig(iterations=3).budget() == (3, None)
    assert TrainConfig(total_steps=100).budget() == (None, 100)
    assert TrainConfig(iterations=3, total_steps=100).budget() == (3, 100)


def test_save_round_trip(tmp_path):
    cfg = TrainConfig(agent="sb3", total_steps=512, agent_opts={"n_steps": 64}, out=str(tmp_path))
    cfg.save(tmp_path / "config.yaml")
    assert yaml.safe_load((tmp_path / "config.yaml").read_text())["total_steps"] == 512
    assert TrainConfig.load(tmp_path / "config.yaml") == cfg


@pytest.mark.parametrize("bad, message", [
    ({"feedback": "both"}, "feedback"), ({"agent": "dqn"}, "agent"), ({"num_envs": 0}, "num_envs"),
    ({"iterations": 0}, "iterations"), ({"eval_episodes": -1}, "eval_episodes"), ({"on_error": "x"}, "on_error"),
    ({"judge_opts": "a=b"}, "judge_opts"), ({"colour": "red"}, "unknown config key"),
])
def test_invalid_settings(bad, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(bad)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_config_file(tmp_path / "none.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="mapping"):
        load_config_file(tmp_path / "list.yaml")
    (tmp_path / "broken.toml").write_text("agent = \n")
    with pytest.raises(ValueError, match="cannot parse"):
        load_config_file(tmp_path / "broken.toml")
    (tmp_path / "empty.yaml").write_text("")
    assert load_config_file(tmp_path / "empty.yaml") == {}
