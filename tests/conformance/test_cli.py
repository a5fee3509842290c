"""The commands on user envs: ``train`` (then ``eval``), ``play`` and ``judge``, and their one-sentence refusals."""

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rrm_gym.cli.app import main
from rrm_gym.wrappers import make_env
from tests.conformance.envs import FREE_TEXT, LUCKY_DRAW, NON_TEXT, ONE_STEP_QA, ROOMS, TEXT_ENVS, TWO_PLAYER
from tests.conformance.helpers import play

pytest.importorskip("sb3_contrib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SB3 = ["--agent", "sb3", "--num-envs", "1", "--agent-opt", "n_steps=8", "--no-tensorboard", "--no-progress"]


def _run(args, **kw):
    return CliRunner().invoke(main, args, catch_exceptions=False, **kw)


def test_train_then_eval_sb3_on_a_one_step_env_without_constructor_kwargs(tmp_path):
    # The reproduction: it trained, then crashed in the held-out evaluation on a split= kwarg.
    out = tmp_path / "run"
    result = _run(["train", "--env", ONE_STEP_QA, "--feedback", "none", "--total-steps", "16",
                   "--eval-episodes", "2", "--out", str(out), *SB3])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "eval_after.json").read_text())["episodes"] == 2
    evaluated = _run(["eval", str(out), "--episodes", "2"])
    assert evaluated.exit_code == 0
    assert json.loads(evaluated.stdout[evaluated.stdout.index("{"):])["episodes"] == 2


@pytest.mark.parametrize(("env_id", "feedback", "start"), [
    (NON_TEXT, "none", "rrm-gym needs text observations and actions"),
    (LUCKY_DRAW, "critique", "--feedback critique restarts the same task"),
    (FREE_TEXT, "none", "--agent sb3 picks one of the env's candidate actions"),
])
def test_train_refuses_in_one_sentence(tmp_path, env_id, feedback, start):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--env", env_id, "--feedback", feedback, "--out", str(out), *SB3])
    assert result.exit_code == 2 and f"Error: {start}" in result.output
    assert not out.exists()


@pytest.mark.parametrize("env_id", TEXT_ENVS)
def test_play(env_id):
    feedback = "unified" if env_id in (ROOMS, FREE_TEXT) else "none"
    moves = ("olleh\n" if env_id == FREE_TEXT else "1\n") * 20  # free text, or the first listed action
    result = _run(["play", env_id, "--seed", "0", "--feedback", feedback], input=moves + ":quit\n")
    assert result.exit_code == 0, result.output
    assert "episode 1" in result.output and "reward" in result.output
    if feedback == "unified":
        assert "judge" in result.output and "attempt 2" in result.output


@pytest.mark.parametrize(("env_id", "feedback"), [(NON_TEXT, "none"), (LUCKY_DRAW, "unified")])
def test_play_refuses_in_one_sentence(env_id, feedback):
    result = CliRunner().invoke(main, ["play", env_id, "--feedback", feedback], input=":quit\n")
    assert result.exit_code == 2 and result.output.startswith("Error: ")


def test_judge_trajectories_recorded_on_every_user_env(tmp_path):
    lines = []
    for env_id in (*TEXT_ENVS, LUCKY_DRAW):
        env = make_env(env_id, feedback="reward", judge="reference")
        for seed in range(2):
            info = play(env, seed)[-1][1]
            lines.append(json.dumps(info["trajectory"].to_dict()))
    path = tmp_path / "trajectories.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = _run(["judge", str(path), "--judge", "reference"])
    assert result.exit_code == 0, result.output
    judged = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(judged) == len(lines) and all(r["judgement"]["ok"] for r in judged)
    assert all(0.0 <= r["judgement"]["score"] <= 1.0 and r["judgement"]["critique"] for r in judged)


def test_the_example_env_trains_with_module_id_from_its_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the folder the id's module is imported from is undone
    out = tmp_path / "run"
    result = _run(["train", "--env", "custom_env:custom/GuessNumber-v0", "--feedback", "unified",
                   "--total-steps", "16", "--eval-episodes", "2", "--out", str(out), *SB3])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()


def test_two_player_game_under_critique_replays_the_same_game():
    env = make_env(TWO_PLAYER, feedback="critique", judge="reference")
    steps = play(env, 3)
    first_obs = steps[0][0]
    refined = next(obs for obs, info in steps if "previous" in info)
    assert first_obs in refined  # the seed replay gives the same starting position


def test_eval_refuses_a_non_text_env_before_loading_the_model():
    result = CliRunner().invoke(main, ["eval", "smollm2", "--env", NON_TEXT, "--episodes", "1"])
    assert result.exit_code == 2 and "rrm-gym needs text observations and actions" in result.output
