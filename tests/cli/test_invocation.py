"""Hints print a command that works from the user's shell (issue 12: `rrm-gym` is not on PATH after the setup)."""

import os
import subprocess
import sys

from rrm_gym.cli.invocation import command_prefix


def _script(folder):
    script = folder / ".venv" / "bin" / "rrm-gym"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return script


def test_the_running_script_by_path_when_it_is_not_on_path(tmp_path, monkeypatch):
    script = _script(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "train"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert command_prefix() == ".venv/bin/rrm-gym"


def test_the_bare_name_when_path_finds_this_script(tmp_path, monkeypatch):
    script = _script(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "train"])
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}/usr/bin")
    assert command_prefix() == "rrm-gym"


def test_python_dash_m_otherwise_and_it_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    prefix = command_prefix()
    assert prefix.endswith(" -m rrm_gym")
    result = subprocess.run([sys.executable, "-m", "rrm_gym", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "Usage: rrm-gym" in result.stdout
