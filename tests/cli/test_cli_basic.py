import json

from click.testing import CliRunner

from rrm_gym.cli import main
from rrm_gym.types import Trajectory, Turn


def test_envs_lists_every_registered_id_with_a_description():
    from rrm_gym.envs import list_envs

    result = CliRunner().invoke(main, ["envs", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    ids = {r["env_id"] for r in rows}
    assert {e.env_id for e in list_envs()} == ids
    assert "rrm/WebWalker-v0" in ids and all(r["description"] for r in rows)
    table = CliRunner().invoke(main, ["envs"])
    assert table.exit_code == 0 and "rrm/WebWalker-v0" in table.output


def test_judge_command_writes_one_line_per_input_and_keeps_bad_lines(tmp_path):
    good = Trajectory("t1", "Who wrote it?", (Turn("page text", "click: About", 0.0, {"page": "About"}),), "Ada")
    path = tmp_path / "trajs.jsonl"
    request = {"question": "Who wrote it?", "trajectory": good.to_dict(), "reference": {"answer": "Ada"}}
    path.write_text(
        json.dumps(good.to_dict()) + "\n" + "{not json\n" + json.dumps(request) + "\n" + json.dumps([1, 2]) + "\n"
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["judge", "--judge", "reference", str(path), "--out", str(out)])
    assert result.exit_code == 1, result.output  # some lines were unreadable (a documented exit status)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["line"] for x in lines] == [1, 2, 3, 4]
    assert "error" in lines[1] and "line 2" in lines[1]["error"]
    assert "error" in lines[3]
    assert lines[0]["judgement"]["ok"] and lines[2]["judgement"]["ok"]
    assert 0.0 <= lines[2]["judgement"]["score"] <= 1.0
    assert "Ada" not in lines[2]["judgement"]["critique"]


def test_judge_command_rejects_malformed_judge_options(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("")
    result = CliRunner().invoke(main, ["judge", "--judge-opt", "novalue", str(path)])
    assert result.exit_code != 0 and "key=value" in result.output


def test_play_runs_an_episode_from_stdin():
    result = CliRunner().invoke(main, ["play", "rrm/WebWalker-v0", "--seed", "0"],
                                input=":actions\n1\n\\boxed{no idea}\n")
    assert result.exit_code == 0, result.output
    assert "episode over" in result.output and "success=False" in result.output


def test_play_with_unified_feedback_shows_the_critique():
    result = CliRunner().invoke(main, ["play", "rrm/WebWalker-v0", "--seed", "1", "--feedback", "unified"],
                                input="\\boxed{no idea}\n\\boxed{still no idea}\n")
    assert result.exit_code == 0, result.output
    assert "judge" in result.output and "attempt 2" in result.output
