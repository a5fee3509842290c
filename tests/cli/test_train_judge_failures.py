"""An unreachable `openai` judge during `rrm-gym train` is visible (issue 12, row 4).

Before: progress and summary showed `judge 0.00`, only a `8 / 0 / 8` failure count hinted at it, every step spent
the client's retries, and nothing was printed. Now the start-up health check warns, the first failure is printed
with its error, the summary puts the failures next to the score, and `on_error=raise` stops before anything starts.
"""

import shutil
import socket

import pytest
from click.testing import CliRunner

from rrm_gym.cli import main
from rrm_gym.report.metrics import read_jsonl
from tests.agents.tiny_lm import make_tiny_lm

TINY = ["--num-envs", "2", "--agent-opt", "num_steps=2", "--agent-opt", "max_new_tokens=4", "--agent-opt",
        "max_prompt_tokens=128", "--env-opt", "max_episode_steps=1", "--no-progress", "--no-tensorboard",
        "--eval-episodes", "0"]


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"  # nothing listens once the socket is closed


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def test_an_unreachable_judge_is_reported_not_hidden(tiny_model, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--model", tiny_model, "--judge", "openai", "--judge-opt",
                                       f"base_url={_dead_url()}", "--judge-opt", "model=Agent-RRM", "--iterations",
                                       "1", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Warning: judge server" in text and "is unreachable" in text  # the health check at start
    assert "Warning: the judge failed on" in text and "Connect" in text  # the first failure, with its error
    summary = next(line for line in result.output.splitlines() if "latest judge score" in line)
    assert "failed" in summary  # e.g. "– (4 of 4 failed)"
    rows = read_jsonl(out / "metrics.jsonl")
    assert rows[-1]["judge_failures_total"] == rows[-1]["judge_calls_total"] > 0


def test_on_error_raise_stops_before_the_run_starts(tiny_model, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--model", tiny_model, "--judge", "openai", "--judge-opt",
                                       f"base_url={_dead_url()}", "--judge-opt", "model=m", "--on-error", "raise",
                                       "--out", str(out), *TINY])
    assert result.exit_code == 2 and "Error: judge server" in result.output and "unreachable" in result.output
    assert not out.exists()


def test_the_end_of_a_run_lists_its_directory_and_a_resume_command_that_works(tiny_model, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--model", tiny_model, "--iterations", "1", "--out", str(out),
                                       "--feedback", "reward", *TINY])
    assert result.exit_code == 0, result.output
    listing = result.output.split("Run directory:", 1)[1]
    for entry in out.iterdir():  # every entry, not 4 of 11
        assert entry.name in listing, entry.name
    hint = next(line for line in result.output.splitlines() if "train --resume" in line)
    command = hint.split(":", 1)[1].split()
    assert command[command.index("--resume") + 1] == str(out)
    assert shutil.which(command[0]), hint  # `rrm-gym` only when it is on PATH; else a path that runs
    if command[0] != "rrm-gym":
        assert command[1:3] == ["-m", "rrm_gym"] or command[0].endswith("rrm-gym"), hint
