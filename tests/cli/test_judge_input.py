"""`rrm-gym judge` reads a run's own samples.jsonl, names records that are not trajectories, and its exit status
says whether any line failed (issue 12, row 5: every samples record was judged as 0 steps, score 0, exit 0)."""

import json

import gymnasium as gym
from click.testing import CliRunner

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.episode_log import EpisodeLog
from rrm_gym.cli import main
from rrm_gym.judges import make
from rrm_gym.wrappers.vector import UnifiedWrapper

ENV = "rrm/WebWalker-v0"


def _samples(path, seed=1):
    """samples.jsonl lines as `rrm-gym train` writes them: one episode (two attempts) along the gold path."""
    probe = gym.make(ENV, difficulty="easy")
    probe.reset(seed=seed)
    ref = probe.unwrapped.judge_reference()
    gold = [f"click: {page}" for page in ref["gold_path"]] + [f"\\boxed{{{ref['answer']}}}"]
    envs = EpisodeLog(UnifiedWrapper(gym.make_vec(ENV, num_envs=1, difficulty="easy"), make("reference")))
    envs.reset(seed=seed)
    episodes = []
    for action in gold + ["\\boxed{no idea}"]:  # right, then wrong at the refinement
        envs.step([action])
        episodes += envs.pop_finished()
    envs.close()
    path.write_text("".join(json.dumps({"iteration": 1, **ep}) + "\n" for ep in episodes))
    return episodes[0]


def _judged(output):
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_a_run_directory_is_judged_attempt_by_attempt_with_its_env(tmp_path):
    episode = _samples(tmp_path / "samples.jsonl")
    TrainConfig(env=ENV, out=str(tmp_path)).save(tmp_path / "config.yaml")
    result = CliRunner().invoke(main, ["judge", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = _judged(result.stdout)
    assert [(r["line"], r["attempt"], r["replayed"]) for r in lines] == [(1, 1, True), (1, 2, True)]
    recorded = [a["score"] for a in episode["attempts"]]
    assert [r["judgement"]["score"] for r in lines] == recorded  # the same judgement as during training
    assert "Steps taken: 0" not in lines[0]["judgement"]["trace"]


def test_a_bare_samples_file_with_env_given(tmp_path):
    _samples(tmp_path / "s.jsonl")
    result = CliRunner().invoke(main, ["judge", str(tmp_path / "s.jsonl"), "--env", ENV])
    assert result.exit_code == 0 and all(r["replayed"] for r in _judged(result.stdout))
    without = CliRunner().invoke(main, ["judge", str(tmp_path / "s.jsonl")])  # no env: the recorded turns
    assert without.exit_code == 0
    assert all(not r["replayed"] and r["judgement"]["ok"] for r in _judged(without.stdout))


def test_records_that_are_not_trajectories_are_named_and_fail_the_exit_status(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"iteration": 1, "env_steps": 8}) + "\n" + json.dumps({"question": "q?"}) + "\n")
    result = CliRunner().invoke(main, ["judge", str(path)])
    assert result.exit_code == 1
    errors = [r["error"] for r in _judged(result.stdout)]
    assert len(errors) == 2 and all("not a trajectory" in e for e in errors)
    assert "its keys: env_steps, iteration" in errors[0]
    assert "no line holds a trajectory" in result.stderr


def test_a_failed_judgement_fails_the_exit_status(tmp_path):
    _samples(tmp_path / "s.jsonl")
    result = CliRunner().invoke(main, ["judge", str(tmp_path / "s.jsonl"), "--judge", "openai", "--judge-opt",
                                       "base_url=http://127.0.0.1:9/v1", "--judge-opt", "model=m",
                                       "--judge-opt", "max_retries=0"])
    assert result.exit_code == 1 and "first failed judgement" in result.stderr


def test_bad_arguments_are_status_2(tmp_path):
    (tmp_path / "t.jsonl").write_text("")
    assert CliRunner().invoke(main, ["judge", str(tmp_path / "t.jsonl"), "--judge", "nope"]).exit_code == 2
    assert CliRunner().invoke(main, ["judge", str(tmp_path)]).exit_code == 2  # a folder without samples.jsonl
