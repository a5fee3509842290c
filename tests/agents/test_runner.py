"""The main job end to end on the fast SB3 backend: run directory, metrics, checkpoints, resume, reports."""

import json
import sqlite3

import pytest

from rrm_gym.agents.run.checkpoint import latest_checkpoint, list_checkpoints
from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.runner import load_run_config, prepare_run, run_training
from rrm_gym.report.metrics import read_jsonl

pytest.importorskip("sb3_contrib")


def sb3_config(out, **kw):
    base = dict(agent="sb3", iterations=2, num_envs=2, agent_opts={"n_steps": 16}, eval_episodes=3,
                out=str(out), progress=False, tensorboard=True)
    return TrainConfig(**{**base, **kw})


def _console():
    from rich.console import Console

    return Console(file=open("/dev/null", "w"), width=120)  # noqa: SIM115


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sb3"
    return run_training(sb3_config(out), console=_console())


def test_run_directory_holds_every_artifact(finished_run):
    run = finished_run.run_dir
    for name in ("config.yaml", "metrics.jsonl", "samples.jsonl", "learning_curve.png", "report.html",
                 "eval_before.json", "eval_after.json", "judge_cache.sqlite"):
        assert (run / name).is_file(), name
    assert list((run / "tb").glob("events.out.tfevents.*"))
    assert [c.iteration for c in list_checkpoints(run)] == [1, 2]
    assert (latest_checkpoint(run).path / "learner" / "model.zip").is_file()
    assert finished_run.iterations == 2 and finished_run.env_steps == 2 * 16 * 2


def test_metrics_keep_env_reward_judge_score_and_shaped_reward_apart(finished_run):
    rows = read_jsonl(finished_run.run_dir / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    for key in ("reward_env_mean", "judge_score_mean", "reward_shaped_mean", "success_rate", "judge_cache_hits",
                "judge_failures", "judge_latency_mean_s", "env_steps", "judge_calls_total"):
        assert key in rows[-1], key
    assert rows[-1]["env_steps"] == 64
    assert any(k.startswith("learner/") for k in rows[-1])
    judged = [r for r in rows if r["judged_attempts"]]
    for r in judged:  # shaped = env + λ·score per attempt, so the three numbers differ but stay consistent
        assert r["reward_shaped_mean"] == pytest.approx(r["reward_env_mean"] + r["reward_rrm_mean"], abs=1e-6)


def test_evaluations_have_confidence_intervals(finished_run):
    for name in ("eval_before.json", "eval_after.json"):
        data = json.loads((finished_run.run_dir / name).read_text())
        assert data["episodes"] == 3 and data["split"] == "test"
        assert 0.0 <= data["ci_low"] <= data["success_rate"] <= data["ci_high"] <= 1.0


def test_judge_cache_has_rows(finished_run):
    with sqlite3.connect(finished_run.run_dir / "judge_cache.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM judgements").fetchone()[0] > 0


def test_resume_continues_iterations(finished_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(finished_run.run_dir, run)
    # A crash after logging iteration 3 but before its checkpoint leaves a metrics line the checkpoint lacks.
    with (run / "metrics.jsonl").open("a") as fh:
        fh.write(json.dumps({"iteration": 3, "reward_env_mean": 9.0}) + "\n" + '{"iteration": 4, "rew')
    result = run_training(load_run_config(run, {"iterations": 4}), resume=run, console=_console())
    assert result.resumed_from == 2 and result.iterations == 4
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2, 3, 4]
    assert rows[2]["reward_env_mean"] != 9.0
    assert rows[-1]["env_steps"] == 4 * 32
    assert latest_checkpoint(run).iteration == 4
    assert json.loads((run / "eval_before.json").read_text()) == json.loads(
        (finished_run.run_dir / "eval_before.json").read_text())  # kept, not re-run


def test_resume_refuses_identity_changes(finished_run):
    with pytest.raises(ValueError, match="cannot change agent"):
        load_run_config(finished_run.run_dir, {"agent": "ppo"})
    assert load_run_config(finished_run.run_dir, {"iterations": 9, "seed": 0}).iterations == 9


def test_new_run_refuses_an_existing_run_dir(finished_run):
    with pytest.raises(FileExistsError, match="--resume"):
        prepare_run(sb3_config(finished_run.run_dir))


def test_config_yaml_is_resolved(tmp_path):
    run = prepare_run(TrainConfig(out=str(tmp_path / "r"), agent_opts={"num_steps": 2}))
    saved = TrainConfig.load(run / "config.yaml")
    assert saved.agent_opts["num_steps"] == 2 and "max_new_tokens" in saved.agent_opts
    assert saved.out == str(tmp_path / "r")
