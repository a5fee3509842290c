"""Complete eval output for every agent (issue 12, row 6) and critiques at inference (issue 9).

Before: `rrm-gym eval` of an sb3 run printed `mean steps 0.000`, `mean env reward –` and `per_task {}`, and the
held-out table of `--agent sb3` runs showed `mean env reward –`.
"""

import json
import math

import pytest
from click.testing import CliRunner
from rich.console import Console

from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.runner import run_training
from rrm_gym.cli import main
from tests.agents.tiny_lm import make_tiny_lm


def _complete(data, episodes):
    assert data["episodes"] == episodes
    assert math.isfinite(data["mean_reward"]) and data["mean_steps"] > 0
    assert data["per_task"] and sum(row["episodes"] for row in data["per_task"].values()) == episodes
    assert all({"success_rate", "mean_reward", "mean_steps"} <= set(row) for row in data["per_task"].values())


@pytest.fixture(scope="module")
def sb3_run(tmp_path_factory):
    pytest.importorskip("sb3_contrib")
    out = tmp_path_factory.mktemp("runs") / "sb3"
    console = Console(file=open("/dev/null", "w"), record=True)  # noqa: SIM115
    cfg = TrainConfig(agent="sb3", iterations=1, num_envs=1, agent_opts={"n_steps": 8}, eval_episodes=2,
                      out=str(out), progress=False, tensorboard=False, feedback="none")
    run_training(cfg, console=console)
    return out, console.export_text()


def test_an_sb3_run_evaluates_completely(sb3_run):
    out, summary = sb3_run
    result = CliRunner().invoke(main, ["eval", str(out), "--episodes", "3"])
    assert result.exit_code == 0, result.output
    _complete(json.loads(result.stdout), 3)
    _complete(json.loads((out / "eval_after.json").read_text()), 2)
    row = next(line for line in summary.splitlines() if "mean env reward" in line)
    assert "–" not in row  # the held-out table of an sb3 run shows the reward


def test_an_sb3_run_with_critiques_at_inference(sb3_run):
    out, _ = sb3_run
    result = CliRunner().invoke(main, ["eval", str(out), "--episodes", "2", "--feedback", "critique"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["feedback"] == "critique" and data["critique"]["refined"] >= 1
    assert data["critique"]["judge"] == "reference"  # the run had none: the reference judge by default


@pytest.fixture(scope="module")
def llm_run(tmp_path_factory):
    model = str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))
    out = tmp_path_factory.mktemp("runs") / "ppo"
    cfg = TrainConfig(model=model, iterations=1, num_envs=2, eval_episodes=0, out=str(out), progress=False,
                      tensorboard=False, env_kwargs={"max_episode_steps": 1}, feedback="critique",
                      agent_opts={"num_steps": 1, "max_new_tokens": 4, "max_prompt_tokens": 128})
    run_training(cfg, console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    return out


def test_eval_with_critiques_reports_attempt_1_refined_fixed_and_broke(llm_run):
    result = CliRunner().invoke(main, ["eval", str(llm_run), "--episodes", "3", "--feedback", "critique"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    c = data["critique"]
    assert {"success_attempt_1", "success_refined", "fixed", "broke", "judge_failures"} <= set(c)
    assert c["fixed"] + c["broke"] + c["kept_right"] + c["kept_wrong"] == 3
    assert data["success_rate"] == c["success_refined"] and c["attempts_mean"] == 2.0
    for label in ("success at attempt 1", "success after refinement", "refinement fixed / broke"):
        assert label in result.stderr
    saved = json.loads((llm_run / "eval_critique.json").read_text())
    assert saved["critique"]["fixed"] == c["fixed"]


def test_judge_flags_need_critique(llm_run):
    result = CliRunner().invoke(main, ["eval", str(llm_run), "--judge", "reference"])
    assert result.exit_code == 2 and "Error: --judge and --judge-opt are for --feedback critique" in result.output
