"""`rrm-gym train`: flags and config files, and a real kill -9 + --resume of a training subprocess."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rrm_gym.agents.run.checkpoint import latest_checkpoint
from rrm_gym.cli import main
from rrm_gym.report.metrics import read_jsonl
from tests.agents.tiny_lm import make_tiny_lm

TINY = ["--agent", "ppo", "--num-envs", "2", "--agent-opt", "num_steps=2", "--agent-opt", "max_new_tokens=4",
        "--agent-opt", "max_prompt_tokens=128", "--env-opt", "max_episode_steps=2", "--no-progress",
        "--no-tensorboard"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def _cli(*args):
    return [sys.executable, "-c", "from rrm_gym.cli import main; main()", *args]


def test_help_lists_the_main_options():
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0
    for flag in ("--env", "--feedback", "--judge", "--judge-opt", "--judge-cache", "--agent", "--model", "--seed",
                 "--total-steps", "--iterations", "--num-envs", "--lam", "--out", "--config", "--resume",
                 "--eval-episodes"):
        assert flag in result.output, flag


def test_config_file_then_flags(tiny_model, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'model = "{tiny_model}"\nseed = 5\niterations = 1\nfeedback = "reward"\nlam = 0.5\n'
                   f'eval_episodes = 1\n[judge_opts]\n')
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--config", str(cfg), "--lam", "0.25", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert (saved["seed"], saved["feedback"], saved["lam"], saved["iterations"]) == (5, "reward", 0.25, 1)
    assert saved["agent_opts"]["num_steps"] == 2 and saved["env_kwargs"] == {"max_episode_steps": 2}
    assert "Held-out evaluation" in result.output and "success rate" in result.output
    assert [r["iteration"] for r in read_jsonl(out / "metrics.jsonl")] == [1]


def test_bad_input_is_a_usage_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: red\n")
    result = CliRunner().invoke(main, ["train", "--config", str(bad), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown config key" in result.output
    result = CliRunner().invoke(main, ["train", "--agent-opt", "oops", "--out", str(tmp_path / "y")])
    assert result.exit_code == 2 and "key=value" in result.output
    assert not (tmp_path / "x").exists()


def _wait_for_checkpoint(run: Path, proc: subprocess.Popen, at_least: int, timeout: float = 240.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ck = latest_checkpoint(run)
        if ck is not None and ck.iteration >= at_least:
            return ck.iteration
        if proc.poll() is not None:
            raise AssertionError(f"training exited early: {proc.stdout.read()}")
        time.sleep(0.2)
    raise AssertionError("no checkpoint appeared")


def test_kill_9_then_resume_continues(tiny_model, tmp_path):
    run = tmp_path / "killed"
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen(_cli("train", "--model", tiny_model, "--iterations", "200", "--eval-episodes", "0",
                                 "--out", str(run), *TINY), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        _wait_for_checkpoint(run, proc, at_least=2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    killed_at = latest_checkpoint(run).iteration
    with sqlite3.connect(run / "judge_cache.sqlite") as conn:
        cached = conn.execute("SELECT COUNT(*) FROM judgements").fetchone()[0]
    assert cached > 0

    target = killed_at + 2
    result = subprocess.run(_cli("train", "--resume", str(run), "--iterations", str(target), "--no-progress"),
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"from iteration {killed_at}" in result.stdout
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == list(range(1, target + 1))  # no duplicates, none missing
    steps = [r["env_steps"] for r in rows]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert latest_checkpoint(run).iteration == target
    with sqlite3.connect(run / "judge_cache.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM judgements").fetchone()[0] >= cached


def test_resume_refuses_to_change_the_agent(tiny_model, tmp_path):
    out = tmp_path / "r"
    ok = CliRunner().invoke(main, ["train", "--model", tiny_model, "--iterations", "1", "--eval-episodes", "0",
                                   "--out", str(out), *TINY])
    assert ok.exit_code == 0, ok.output
    result = CliRunner().invoke(main, ["train", "--resume", str(out), "--agent", "grpo"])
    assert result.exit_code == 2 and "cannot change agent" in result.output
    again = CliRunner().invoke(main, ["train", "--model", tiny_model, "--out", str(out), *TINY])
    assert again.exit_code == 2 and "--resume" in again.output
