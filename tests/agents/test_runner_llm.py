"""The runner with the bundled LLM learners (PPO, GRPO) on a tiny random model: samples, checkpoints, resume."""

import json

import pytest

from rrm_gym.agents.run.checkpoint import latest_checkpoint
from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.runner import load_run_config, run_training
from rrm_gym.report.metrics import read_jsonl
from tests.agents.tiny_lm import make_tiny_lm

pytest.importorskip("peft")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def _console():
    from rich.console import Console

    return Console(file=open("/dev/null", "w"), width=120)  # noqa: SIM115


def llm_config(out, model, agent, **kw):
    opts = {"max_new_tokens": 4, "max_prompt_tokens": 128}
    opts.update({"num_steps": 3} if agent == "ppo" else {"group_size": 2})
    base = dict(agent=agent, model=model, iterations=2, num_envs=2, eval_episodes=2, out=str(out), progress=False,
                tensorboard=False, agent_opts=opts, env_kwargs={"max_episode_steps": 2})
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("agent", ["ppo", "grpo"])
def test_llm_run_and_resume(tiny_model, tmp_path, agent):
    run = tmp_path / agent
    first = run_training(llm_config(run, tiny_model, agent), console=_console())
    assert first.iterations == 2 and first.env_steps > 0
    ck = latest_checkpoint(run)
    assert (ck.path / "learner" / "policy" / "policy.json").is_file()
    assert (ck.path / "learner" / "learner.pt").is_file()
    samples = read_jsonl(run / "samples.jsonl")
    assert samples, "sample episodes are recorded for the report"
    attempt = samples[0]["attempts"][0]
    assert attempt["turns"] and "score" in attempt and "critique" in attempt
    assert samples[0]["question"] in (run / "report.html").read_text()
    resumed = run_training(load_run_config(run, {"iterations": 3}), resume=run, console=_console())
    assert resumed.resumed_from == 2 and resumed.iterations == 3
    rows = read_jsonl(run / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [1, 2, 3]
    assert rows[-1]["env_steps"] > rows[1]["env_steps"]
    after = json.loads((run / "eval_after.json").read_text())
    assert after["episodes"] == 2 and 0.0 <= after["ci_low"] <= after["ci_high"] <= 1.0
