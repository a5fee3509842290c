"""``rrm-gym compare``: a grid of ordinary run directories on a user's own env id, resumable, with its outputs."""

import csv
import json
import math

import pytest
from click.testing import CliRunner

from rrm_gym.agents.run.compare import GridCell, _first_reach, cell_row, curve, mean_ci, summarise
from rrm_gym.cli.app import main
from tests.conformance.envs import ROOMS

pytest.importorskip("sb3_contrib")

SB3 = ["--agent", "sb3", "--num-envs", "1", "--agent-opt", "n_steps=8", "--no-tensorboard"]


def _compare(out):
    return CliRunner().invoke(main, ["compare", "--env", ROOMS, "--feedback", "none,unified", "--seeds", "0,1",
                                     "--total-steps", "16", "--eval-episodes", "2", "--out", str(out), *SB3],
                              catch_exceptions=False)


def test_compare_on_a_user_env_writes_every_output_and_skips_finished_cells(tmp_path):
    out = tmp_path / "grid"
    result = _compare(out)
    assert result.exit_code == 0, result.output
    cells = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert cells == ["none-seed0", "none-seed1", "unified-seed0", "unified-seed1"]
    for cell in cells:  # ordinary run directories
        assert json.loads((out / cell / "eval_after.json").read_text())["episodes"] == 2
    rows = list(csv.DictReader((out / "compare.csv").open()))
    assert {(r["feedback"], r["seed"]) for r in rows} == {("none", "0"), ("none", "1"), ("unified", "0"),
                                                          ("unified", "1")}
    assert all(float(r["judge_calls"]) == 0 for r in rows if r["feedback"] == "none")
    assert any(float(r["judge_calls"]) > 0 for r in rows if r["feedback"] == "unified")
    md = (out / "compare.md").read_text()
    assert "| none |" in md and "| unified |" in md
    assert (out / "compare.png").stat().st_size > 0 and "<table" in (out / "compare.html").read_text()

    stamp = {c: (out / c / "eval_after.json").stat().st_mtime_ns for c in cells}
    again = _compare(out)
    assert again.exit_code == 0, again.output
    assert {c: (out / c / "eval_after.json").stat().st_mtime_ns for c in cells} == stamp  # nothing retrained


def test_mean_ci_curve_and_steps_to_target():
    mean, half = mean_ci([0.2, 0.4, 0.6])
    assert mean == pytest.approx(0.4) and half > 0
    assert mean_ci([0.5])[0] == 0.5 and math.isnan(mean_ci([0.5])[1])
    rows = [{"env_steps": 10 * i, "first_attempt_success_rate": v} for i, v in enumerate([0.0, 0.0, 0.3, 0.6, 0.9], 1)]
    xs, _, ys = curve(rows, window=1)
    assert xs == [10, 20, 30, 40, 50] and ys == pytest.approx([0.0, 0.0, 0.3, 0.6, 0.9])
    assert _first_reach(xs, ys, 0.5) == 40
    assert math.isnan(_first_reach(xs, ys, 0.95))


def test_summary_reports_the_gain_over_none(tmp_path):
    def cell(mode, seed, after):
        d = tmp_path / f"{mode}-seed{seed}"
        d.mkdir()
        (d / "eval_before.json").write_text(json.dumps({"success_rate": 0.1, "episodes": 10}))
        (d / "eval_after.json").write_text(json.dumps({"success_rate": after, "episodes": 10}))
        (d / "metrics.jsonl").write_text(json.dumps({"env_steps": 8, "first_attempt_success_rate": after}) + "\n")
        return cell_row(GridCell(mode, seed, d), target=None)

    rows = [cell("none", 0, 0.2), cell("none", 1, 0.4), cell("reward", 0, 0.5), cell("reward", 1, 0.7)]
    by_mode = {s["feedback"]: s for s in summarise(rows, ["none", "reward"])}
    assert by_mode["none"]["success_after"] == pytest.approx(0.3)
    assert by_mode["reward"]["gain_over_none"] == pytest.approx(0.3)
