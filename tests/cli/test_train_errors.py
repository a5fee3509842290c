"""Bad input to `rrm-gym train` fails fast: one `Error:` line, exit status 2, no run directory (issue 12, rows 1-3).

Before: a wrong env id loaded the model first and ended in a 30-line traceback; a missing model folder gave a
98-line traceback about hub ids; `lam: "lots"` in a config file was accepted and crashed 49 s into training; each
left a run directory behind. Every check here runs before any model is loaded.
"""

import pytest
from click.testing import CliRunner

from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.runner import run_training
from rrm_gym.agents.run.validate import ConfigError
from rrm_gym.cli import main


def _fails(tmp_path, *args, env=None):
    out = tmp_path / "run"
    result = CliRunner(env=env).invoke(main, ["train", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    assert not out.exists()  # no run directory left behind
    return errors[0]


def test_unknown_env_says_so_with_a_close_match(tmp_path):
    assert "unknown env 'rrm/NoSuchEnv-v0'" in _fails(tmp_path, "--env", "rrm/NoSuchEnv-v0")
    # checked before the model: the model given here does not exist either
    line = _fails(tmp_path, "--env", "rrm/WebWalkr-v0", "--model", "/nonexistent")
    assert "did you mean 'rrm/WebWalker-v0'" in line


def test_a_module_env_id_whose_module_is_missing(tmp_path):
    assert "cannot import module 'no_such_module'" in _fails(tmp_path, "--env", "no_such_module:Thing-v0")


def test_missing_model_folder_is_named_as_a_folder(tmp_path):
    assert _fails(tmp_path, "--model", "/nonexistent") == "Error: model folder /nonexistent does not exist"
    (tmp_path / "empty").mkdir()
    assert "has no config.json" in _fails(tmp_path, "--model", str(tmp_path / "empty"))


def test_a_hub_id_that_cannot_be_had_offline(tmp_path):
    line = _fails(tmp_path, "--model", "someone/no-such-model", env={"HF_HUB_OFFLINE": "1"})
    assert "neither a local folder nor in the Hugging Face cache" in line and "offline" in line


def test_an_option_the_agent_ignores_is_rejected(tmp_path):
    line = _fails(tmp_path, "--agent", "sb3", "--model", str(tmp_path))
    assert "agent sb3 takes no model" in line
    assert "unknown sb3 agent option" in _fails(tmp_path, "--agent", "sb3", "--agent-opt", "n_stepz=8")


@pytest.mark.parametrize(("text", "message"), [
    ('lam: "lots"\n', "lam must be a number, got 'lots' (str)"),
    ("lam: .nan\n", "lam must be a finite number >= 0"),
    ("num_envs: 2.5\n", "num_envs must be an integer >= 1, got 2.5 (float)"),
    ("judge_cache: maybe\n", "judge_cache must be true or false"),
    ("seed: [1]\n", "seed must be an integer"),
    ("feedback: unify\n", "feedback must be one of none, critique, reward, unified"),
])
def test_config_file_values_are_checked_for_type_and_range(tmp_path, text, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    assert message in _fails(tmp_path, "--config", str(cfg))


def test_judge_name_and_options_are_checked(tmp_path):
    assert "did you mean 'openai'" in _fails(tmp_path, "--judge", "opena")
    assert "needs the option(s) base_url, model" in _fails(tmp_path, "--judge", "openai")
    assert "takes no option(s) colour" in _fails(tmp_path, "--judge-opt", "colour=red")


def test_the_same_checks_hold_for_library_callers(tmp_path):
    with pytest.raises(ConfigError, match="lam must be a number"):
        TrainConfig(lam="lots")
    assert TrainConfig(lam=1).lam == 1.0 and isinstance(TrainConfig(lam=1).lam, float)
    with pytest.raises(ConfigError, match="unknown env"):
        run_training(TrainConfig(env="rrm/NoSuchEnv-v0", out=str(tmp_path / "lib")))
    assert not (tmp_path / "lib").exists()


def test_a_run_that_fails_while_starting_leaves_nothing_behind(tmp_path):
    model = tmp_path / "broken-model"
    model.mkdir()
    (model / "config.json").write_text("{}")  # passes the folder check, cannot be loaded
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("my notes")
    for out in (tmp_path / "new", keep):
        with pytest.raises(Exception):  # noqa: B017 - whatever transformers raises for a broken folder
            run_training(TrainConfig(model=str(model), eval_episodes=0, out=str(out), tensorboard=False,
                                     progress=False))
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in keep.iterdir()) == ["notes.txt"]  # a folder that existed keeps only its own
