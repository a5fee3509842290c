"""`--agent trl`: GRPOTrainer driven one step per runner iteration, with checkpoints, resume and evaluation."""

import json
import os

import pytest

from rrm_gym.agents.run.checkpoint import latest_checkpoint
from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.eval_run import evaluate_target
from rrm_gym.agents.run.runner import load_run_config, run_training
from rrm_gym.report.metrics import read_jsonl
from tests.agents.tiny_lm import make_tiny_lm

pytest.importorskip("trl")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


def _console():
    from rich.console import Console

    return Console(file=open("/dev/null", "w"), width=120)  # noqa: SIM115


def test_trl_agent_trains_checkpoints_and_resumes(tmp_path_factory):
    model = str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))
    run = tmp_path_factory.mktemp("runs") / "trl"
    cfg = TrainConfig(agent="trl", model=model, iterations=2, eval_episodes=2, out=str(run), progress=False,
                      tensorboard=False, env_kwargs={"max_episode_steps": 2},
                      agent_opts={"max_completion_length": 16, "max_tool_calling_iterations": 2, "num_tasks": 8})
    first = run_training(cfg, console=_console())
    assert first.iterations == 2 and first.env_steps >= 4
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2]
    assert "learner/loss" in rows[0] and "learner/rewards/attempt_reward/mean" in rows[0]
    assert "learner/rrm/success_attempt2" in rows[0]  # the rollout_func path: attempts are rows of one group
    ck = latest_checkpoint(run)
    hf = ck.path / "learner" / "hf"
    assert (hf / "adapter_config.json").is_file() and (hf / "trainer_state.json").is_file()
    assert (hf / "optimizer.pt").is_file()
    assert first.eval_before["episodes"] == 2 and first.eval_after["episodes"] == 2

    resumed = run_training(load_run_config(run, {"iterations": 3}), resume=run, console=_console())
    assert resumed.resumed_from == 2 and resumed.iterations == 3
    assert [r["iteration"] for r in read_jsonl(run / "metrics.jsonl")] == [1, 2, 3]

    state = json.loads((latest_checkpoint(run).path / "learner" / "hf" / "trainer_state.json").read_text())
    assert state["global_step"] == 3  # the trainer continued from step 2, it did not restart

    result = evaluate_target(run, episodes=2)
    assert result["kind"] == "run" and result["episodes"] == 2


def test_trl_agent_can_use_trls_own_tool_loop(tmp_path_factory):
    from rrm_gym.agents.bridges.trl.backend import TRLBackend
    from rrm_gym.agents.run.runner import RunContext

    model = str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))
    run = tmp_path_factory.mktemp("runs")
    cfg = TrainConfig(agent="trl", model=model, iterations=1, out=str(run), progress=False, tensorboard=False,
                      agent_opts={"rollout": "tool_loop", "num_tasks": 2})
    backend = TRLBackend(RunContext(cfg, run))
    assert backend.rollout is None and backend.trainer.rollout_func is None
    assert backend.trainer.environment_factories is not None and backend.trainer.args.num_generations == 2
    attempts = TRLBackend(RunContext(TrainConfig(agent="trl", model=model, out=str(run), progress=False,
                                                 tensorboard=False, agent_opts={"num_tasks": 2}), run))
    assert attempts.trainer.rollout_func is attempts.rollout and attempts.trainer.args.num_generations == 4
    with pytest.raises(ValueError, match="rollout must be one of"):
        TRLBackend(RunContext(TrainConfig(agent="trl", model=model, out=str(run), agent_opts={"rollout": "x"}),
                              run))
