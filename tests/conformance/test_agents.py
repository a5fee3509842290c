"""Every agent on every user env at tiny budgets, then ``eval``; what cannot work says so before any model loads.

SB3 is cheap, so it runs every env under every feedback mode. The LLM agents (``ppo``, ``grpo``, ``trl``) on the
tiny random model would make the full cross product 48 runs (``trl`` alone takes about 10 s a run on two cores), so
each of them meets every env once with the feedback mode rotated (a Latin square): every LLM agent runs under
every mode, and every env runs under every mode across the four agents. The wrappers themselves run every env under
every mode in ``test_feedback_modes.py``.
"""

import os

import pytest

from rrm_gym.agents.run.config import TrainConfig
from rrm_gym.agents.run.eval_run import evaluate_target
from rrm_gym.agents.run.runner import run_training
from rrm_gym.agents.run.validate import ConfigError
from tests.agents.tiny_lm import make_tiny_lm
from tests.conformance.envs import FREE_TEXT, LUCKY_DRAW, NON_TEXT, ONE_STEP_QA, ROOMS, TEXT_ENVS, TWO_PLAYER

pytest.importorskip("peft")
pytest.importorskip("sb3_contrib")
pytest.importorskip("trl")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

MODES = ("none", "critique", "reward", "unified")
LLM_AGENTS = ("ppo", "grpo", "trl")
OPTS = {
    "ppo": {"max_new_tokens": 4, "max_prompt_tokens": 128, "num_steps": 2},
    "grpo": {"max_new_tokens": 4, "max_prompt_tokens": 128, "group_size": 2},
    "sb3": {"n_steps": 8},
    "trl": {"max_completion_length": 16, "max_tool_calling_iterations": 1, "num_tasks": 4},
}
CELLS = [(env, agent, MODES[(i + j) % len(MODES)]) for i, env in enumerate(TEXT_ENVS)
         for j, agent in enumerate(LLM_AGENTS)]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def _console():
    from rich.console import Console

    return Console(file=open(os.devnull, "w"), width=120)  # noqa: SIM115


def _config(out, env, agent, feedback, model=None):
    return TrainConfig(env=env, agent=agent, feedback=feedback, model=None if agent == "sb3" else model,
                       iterations=1, num_envs=2, eval_episodes=2, eval_before=False, out=str(out), progress=False,
                       tensorboard=False, agent_opts=OPTS[agent], env_kwargs={"max_episode_steps": 3})


def _trains(result):
    assert result.iterations == 1 and result.env_steps > 0
    after = result.eval_after  # held-out evaluation with split="test": a reset option the env may ignore
    assert after["episodes"] == 2 and after["split"] == "test" and 0 <= after["ci_low"] <= after["ci_high"] <= 1


@pytest.mark.parametrize("feedback", MODES)
@pytest.mark.parametrize("env_id", [ONE_STEP_QA, ROOMS, TWO_PLAYER])
def test_sb3_on_every_env_with_candidates_under_every_mode(tmp_path, env_id, feedback):
    result = run_training(_config(tmp_path / "run", env_id, "sb3", feedback), console=_console())
    _trains(result)
    if feedback == "none":
        again = evaluate_target(result.run_dir, episodes=2)  # rrm-gym eval of the checkpoint
        assert again["kind"] == "run" and again["episodes"] == 2


@pytest.mark.parametrize(("env_id", "agent", "feedback"), CELLS)
def test_llm_agents_on_every_env(tmp_path, tiny_model, env_id, agent, feedback):
    result = run_training(_config(tmp_path / "run", env_id, agent, feedback, tiny_model), console=_console())
    _trains(result)
    if agent != "trl":  # rrm-gym eval of the checkpoint (trl's is tested in tests/agents/test_trl_runner.py)
        assert evaluate_target(result.run_dir, episodes=1)["episodes"] == 1


@pytest.mark.parametrize("agent", ["ppo", "grpo", "sb3", "trl"])
def test_what_cannot_work_says_so_before_any_model_loads(tmp_path, tiny_model, agent):
    cases = [(NON_TEXT, "none", "rrm-gym needs text observations and actions"),
             (LUCKY_DRAW, "unified", "--feedback unified restarts the same task for the refinement")]
    if agent == "sb3":
        cases.append((FREE_TEXT, "reward", "--agent sb3 picks one of the env's candidate actions"))
    for env_id, feedback, start in cases:
        out = tmp_path / f"{env_id.split('/')[-1]}-{feedback}"
        with pytest.raises(ConfigError) as err:
            run_training(_config(out, env_id, agent, feedback, tiny_model), console=_console())
        assert str(err.value).startswith(start) and str(err.value).count(". ") == 0
        assert not out.exists()  # stopped before the run directory, the judge and the model


def test_an_env_that_cannot_replay_trains_without_refinements(tmp_path):
    _trains(run_training(_config(tmp_path / "run", LUCKY_DRAW, "sb3", "reward"), console=_console()))
