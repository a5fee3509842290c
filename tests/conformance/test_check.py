"""``rrm_gym.check_env_support`` and ``rrm-gym check``: what each user env offers, what works, what to change."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import rrm_gym
from rrm_gym.cli.app import main
from rrm_gym.envs.support import FIXES, EnvSupportError
from tests.conformance.envs import FREE_TEXT, LUCKY_DRAW, NON_TEXT, ONE_STEP_QA, ROOMS, TWO_PLAYER

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# What each env offers: (question, task replay, candidate actions, reference data, success flag, split option).
EXPECTED = {
    ONE_STEP_QA: ("partial", "yes", "yes", "no", "yes", "partial"),
    ROOMS: ("yes", "yes", "yes", "yes", "yes", "yes"),
    FREE_TEXT: ("yes", "yes", "no", "yes", "yes", "partial"),
    TWO_PLAYER: ("yes", "yes", "yes", "no", "yes", "partial"),
    LUCKY_DRAW: ("partial", "no", "yes", "no", "yes", "partial"),
    "rrm/WebWalker-v0": ("yes", "yes", "yes", "yes", "yes", "yes"),
}
_ROWS = ("question", "task replay (C/U)", "candidate actions", "reference data", "success flag", "split option")


@pytest.mark.parametrize("env_id", list(EXPECTED))
def test_what_each_env_offers(env_id):
    report = rrm_gym.check_env_support(env_id, episodes=2)
    offers = {r.name: r for r in report.offers}
    assert tuple(offers[name].status for name in _ROWS) == EXPECTED[env_id]
    assert all(r.fix for r in report.offers + report.works if r.status != "yes" and r.name != "Gymnasium check_env")
    assert report.usable and offers["text spaces"].status == "yes"
    assert offers["Gymnasium check_env"].status == ("no" if env_id == LUCKY_DRAW else "yes")  # unseeded reset


def test_replay_and_candidates_decide_c_u_and_sb3():
    assert rrm_gym.check_env_support(ROOMS).facts.replay == "task_id"
    assert rrm_gym.check_env_support(TWO_PLAYER).facts.replay == "seed"
    lucky = rrm_gym.check_env_support(LUCKY_DRAW)
    assert lucky.problem(feedback="reward") is None and lucky.problem(agent="sb3") is None
    sentence = lucky.problem(feedback="critique")
    assert sentence.startswith("--feedback critique restarts the same task") and sentence.count(". ") == 0
    assert FIXES["replay"] in sentence
    free = rrm_gym.check_env_support(FREE_TEXT)
    assert free.problem(feedback="unified") is None
    assert "--agent sb3 picks one of the env's candidate actions" in free.problem(agent="sb3")
    with pytest.raises(EnvSupportError, match="info\\['valid_actions'\\]"):
        free.require(agent="sb3")


def test_non_text_spaces_are_named_in_one_sentence():
    report = rrm_gym.check_env_support(NON_TEXT)
    assert not report.usable
    sentence = report.problem()
    assert "Box(0.0, 10.0, (1,), float32)" in sentence and "Discrete(2)" in sentence and "Text" in sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0
    assert [r.status for r in report.works] == ["no"]
    assert report.problem(feedback="unified", agent="sb3") == sentence  # the spaces come first, whatever is asked


def test_an_env_instance_can_be_checked():
    import gymnasium as gym

    report = rrm_gym.check_env_support(gym.make("rrm/WebWalker-v0"), episodes=1, gym_check=False)
    assert report.env_id == "rrm/WebWalker-v0" and "offers" in str(report) and report.to_dict()["usable"]


def test_check_command_prints_both_tables_and_the_fixes():
    result = CliRunner().invoke(main, ["check", ONE_STEP_QA], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in ("what it offers", "what works", "Gymnasium check_env", "task replay (C/U)", "--agent sb3",
                 "judge_reference()", "info['question']"):
        assert text in result.output


def test_check_command_json_and_exit_status():
    result = CliRunner().invoke(main, ["check", NON_TEXT, "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["usable"] is False and data["facts"]["action_space"] == "Discrete(2)"
    unknown = CliRunner().invoke(main, ["check", "user/NoSuchEnv-v0"])
    assert unknown.exit_code == 2 and "cannot build user/NoSuchEnv-v0" in unknown.output


def test_check_finds_a_users_module_in_the_current_folder(monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    result = CliRunner().invoke(main, ["check", "custom_env:custom/GuessNumber-v0", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert all(r["status"] == "yes" for r in data["works"])
