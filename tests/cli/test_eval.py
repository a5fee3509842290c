"""`rrm-gym eval`: JSON with a confidence interval on stdout, a table on stderr; run dirs and model paths."""

import json

import pytest
from click.testing import CliRunner

from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.runner import run_training
from rrm_gym.cli import main
from tests.agents.tiny_lm import make_tiny_lm


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


@pytest.fixture(scope="module")
def trained_run(tiny_model, tmp_path_factory):
    from rich.console import Console

    out = tmp_path_factory.mktemp("runs") / "ppo"
    cfg = TrainConfig(model=tiny_model, iterations=1, num_envs=2, eval_episodes=0, out=str(out), progress=False,
                      tensorboard=False, env_kwargs={"max_episode_steps": 2},
                      agent_opts={"num_steps": 2, "max_new_tokens": 4, "max_prompt_tokens": 128})
    run_training(cfg, console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    return out


def _check_result(result, episodes):
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["episodes"] == episodes and data["split"] == "test"
    assert 0.0 <= data["ci_low"] <= data["success_rate"] <= data["ci_high"] <= 1.0
    assert "95% CI" in result.stderr
    return data


def test_eval_a_run_directory(trained_run):
    result = CliRunner().invoke(main, ["eval", str(trained_run), "--episodes", "3", "--seed", "4"])
    data = _check_result(result, 3)
    assert data["kind"] == "run" and data["env_id"] == "rrm/WebWalker-v0"
    assert data["mean_steps"] <= 2  # the run's env kwargs (max_episode_steps=2) are the default


def test_eval_a_model_path(tiny_model):
    result = CliRunner().invoke(main, ["eval", tiny_model, "--env", "rrm/WebWalker-v0", "--episodes", "2",
                                       "--env-opt", "max_episode_steps=1"])
    assert _check_result(result, 2)["kind"] == "model"


def test_eval_errors_are_usage_errors(tiny_model, tmp_path):
    no_env = CliRunner().invoke(main, ["eval", tiny_model])
    assert no_env.exit_code == 2 and "--env is required" in no_env.output
    (tmp_path / "config.yaml").write_text("agent: ppo\n")
    empty = CliRunner().invoke(main, ["eval", str(tmp_path)])
    assert empty.exit_code == 2 and "no complete checkpoint" in empty.output
    zero = CliRunner().invoke(main, ["eval", tiny_model, "--env", "rrm/WebWalker-v0", "--episodes", "0"])
    assert zero.exit_code == 2


def test_eval_an_sb3_run_gives_strict_json(tmp_path):
    pytest.importorskip("sb3_contrib")
    from rich.console import Console

    out = tmp_path / "sb3"
    cfg = TrainConfig(agent="sb3", iterations=1, num_envs=1, agent_opts={"n_steps": 8}, eval_episodes=0,
                      out=str(out), progress=False, tensorboard=False)
    run_training(cfg, console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    result = CliRunner().invoke(main, ["eval", str(out), "--episodes", "2"])

    def reject(constant):
        raise AssertionError(f"not strict JSON: {constant}")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout, parse_constant=reject)
    assert data["kind"] == "run" and data["episodes"] == 2 and data["ci_low"] <= data["ci_high"]


def test_progress_goes_to_stderr_not_into_the_json(tiny_model):
    result = CliRunner().invoke(main, ["eval", tiny_model, "--env", "rrm/WebWalker-v0", "--episodes", "1",
                                       "--env-opt", "max_episode_steps=1", "--progress"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["episodes"] == 1
