"""`rrm-gym distill` and `rrm-gym judge-eval` end to end at tiny size (a tiny random Llama as the student)."""

import json

import pytest
from click.testing import CliRunner

from rrm_gym.cli import main
from rrm_gym.distill.records import read_records
from tests.agents.tiny_lm import make_tiny_lm

pytestmark = pytest.mark.slow

TINY = ["--train-tasks", "2", "--val-tasks", "2", "--per-task", "2", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


@pytest.fixture(scope="module")
def run_dir(tiny_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("distill") / "run"
    result = CliRunner().invoke(main, ["distill", *TINY, "--student", tiny_model, "--sft-steps", "2",
                                       "--grad-accum", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "judge-eval" in result.output
    return out


def test_distill_writes_a_complete_run_directory(run_dir):
    for name in ("config.json", "trajectories.jsonl", "labelled.jsonl", "train.jsonl", "validation.jsonl",
                 "summary.json", "student/config.json", "student/tokenizer.json", "student/distill.json"):
        assert (run_dir / name).is_file(), name
    labelled = read_records(run_dir / "labelled.jsonl")
    assert len(labelled) == 2 * 2 * (2 + 2) and all(r["teacher"]["ok"] for r in labelled)
    train, val = read_records(run_dir / "train.jsonl"), read_records(run_dir / "validation.jsonl")
    assert not {(r["env"], r["task_id"]) for r in train} & {(r["env"], r["task_id"]) for r in val}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["splits"] == {"train": 8, "validation": 8} and summary["train"]["finished"]


def test_the_dataset_is_hf_datasets_and_never_shows_the_reference(run_dir):
    from datasets import load_from_disk

    from rrm_gym.judges.prompt import build_messages
    from rrm_gym.types import JudgeRequest, Trajectory

    data = load_from_disk(str(run_dir / "dataset"))
    assert set(data) == {"train", "validation"} and len(data["train"]) == 8
    for row in data["validation"]:
        traj = Trajectory.from_dict(json.loads(row["trajectory"]))
        assert row["prompt"] == build_messages(JudgeRequest(traj.question, traj, None))  # the reference is not used
        assert json.loads(row["reference"])["answers"]
        assert row["completion"][0]["content"] == row["teacher_raw"] and "<score>" in row["teacher_raw"]


def test_the_student_loads_as_an_hf_judge(run_dir):
    from rrm_gym.distill.records import request_of
    from rrm_gym.judges import make

    judge = make("hf", model=str(run_dir / "student"), max_new_tokens=8)
    records = read_records(run_dir / "validation.jsonl")[:2]
    out = judge([request_of(r) for r in records])
    assert len(out) == 2 and out[0].judge.startswith("hf:")


def test_judge_eval_of_the_reference_judge(run_dir, tmp_path):
    result = CliRunner().invoke(main, ["judge-eval", str(run_dir), "--out", str(tmp_path / "ref")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "ref" / "judge_eval.json").read_text())
    for key in ("parse_rate", "spearman", "auroc", "ece", "leak_rate", "judgements_per_s"):
        assert key in data
    assert data["parse_rate"] == 1.0 and data["spearman"] == pytest.approx(1.0) and data["leak_rate"] == 0.0
    assert set(data["by_env"]) == {"rrm/WebWalker-v0", "rrm/MultiHopQA-v0"} and data["n"] == 8
    assert (tmp_path / "ref" / "reliability.png").stat().st_size > 1000
    assert "AUROC" in result.output and "parse rate" in result.output


def test_judge_eval_of_a_judge_that_never_parses(run_dir, tmp_path):
    student = run_dir / "student"
    result = CliRunner().invoke(main, ["judge-eval", str(run_dir), "--judge", "hf", "--judge-opt",
                                       f"model={student}", "--judge-opt", "max_new_tokens=4", "--judge-opt",
                                       "score_fallback=false", "--env", "rrm/MultiHopQA-v0", "--limit", "3"])
    assert result.exit_code == 0, result.output
    out = run_dir / "judge_eval" / "hf_max_new_tokens-4_model-student_score_fallback-False" / "judge_eval.json"
    data = json.loads(out.read_text())
    assert data["n"] == 3 and data["parse_rate"] == 0.0 and data["auroc"] is None and data["spearman"] is None
    assert data["notes"] and data["judgements_per_s"] > 0 and list(data["by_env"]) == ["rrm/MultiHopQA-v0"]
    assert "score_completed" not in data  # nothing was completed: the fallback was off


def test_judge_eval_says_how_many_scores_the_hf_judge_completed(run_dir, tmp_path):
    result = CliRunner().invoke(main, ["judge-eval", str(run_dir), "--judge", "hf", "--judge-opt",
                                       f"model={run_dir / 'student'}", "--judge-opt", "max_new_tokens=4", "--env",
                                       "rrm/MultiHopQA-v0", "--limit", "3", "--out", str(tmp_path / "hf")])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "hf" / "judge_eval.json").read_text())
    # 4 tokens never reach a score: every parsed judgement was completed, so the replies alone parse 0 of 3
    assert data["own_parse_rate"] == 0.0 and data["score_completed"] == round(data["parse_rate"] * 3)
    assert data["by_env"]["rrm/MultiHopQA-v0"]["score_completed"] == data["score_completed"]


def test_completed_scores_lower_the_own_parse_rate():
    from rrm_gym.cli.judge_eval_cmd import _add_completed

    result = {"n": 10, "parsed": 9, "notes": [], "by_env": {"a": {"n": 4, "parsed": 4}, "b": {"n": 6, "parsed": 5}}}
    _add_completed(result, {"a": 1, "b": 2})
    assert result["score_completed"] == 3 and result["own_parse_rate"] == pytest.approx(0.6)
    assert result["by_env"]["a"]["own_parse_rate"] == pytest.approx(0.75)
    assert result["by_env"]["b"]["own_parse_rate"] == pytest.approx(0.5)
    assert "3 of 9 parsed judgements" in result["notes"][0]


def test_judge_eval_on_the_saved_dataset_and_a_jsonl_file(run_dir, tmp_path):
    for source in (run_dir / "dataset", run_dir / "validation.jsonl"):
        result = CliRunner().invoke(main, ["judge-eval", str(source), "--judge", "constant", "--out",
                                           str(tmp_path / source.name)])
        assert result.exit_code == 0, result.output
        data = json.loads((tmp_path / source.name / "judge_eval.json").read_text())
        assert data["n"] == 8 and data["auroc"] == 0.5 and data["spearman"] is None


def test_distill_resumes_its_run_directory(tiny_model, tmp_path):
    out = tmp_path / "run"
    first = CliRunner().invoke(main, ["distill", *TINY, "--no-train", "--out", str(out)])
    assert first.exit_code == 0, first.output
    collected = (out / "trajectories.jsonl").read_text()
    labelled = read_records(out / "labelled.jsonl")
    # a crash mid-write: a torn last line and a lost record
    text = (out / "labelled.jsonl").read_text().splitlines()
    (out / "labelled.jsonl").write_text("\n".join(text[:-1]) + "\n" + text[-1][:25])
    second = CliRunner().invoke(main, ["distill", *TINY, "--student", tiny_model, "--sft-steps", "2",
                                       "--grad-accum", "1", "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert "Resuming" in second.output
    assert (out / "trajectories.jsonl").read_text() == collected  # nothing collected twice
    again = read_records(out / "labelled.jsonl")
    assert sorted(r["key"] for r in again) == sorted(r["key"] for r in labelled)
    assert (out / "student" / "model.safetensors").is_file()
    third = CliRunner().invoke(main, ["distill", *TINY, "--student", tiny_model, "--out", str(out)])
    assert third.exit_code == 0 and "already trained" in third.output
    clash = CliRunner().invoke(main, ["distill", *TINY, "--train-tasks", "3", "--out", str(out)])
    assert clash.exit_code != 0 and "other data settings" in clash.output


def test_training_resumes_from_its_checkpoint(tiny_model, run_dir, tmp_path):
    from rrm_gym.distill.sft import SFTSettings, latest_checkpoint, train_student

    records = read_records(run_dir / "train.jsonl")
    settings = SFTSettings(max_steps=3, grad_accum=1, save_steps=1, time_limit_s=0.0)
    first = train_student(records, tiny_model, tmp_path / "sft", tmp_path / "student", settings)
    assert not first["finished"] and first["steps"] == 1 and latest_checkpoint(tmp_path / "sft") is not None
    second = train_student(records, tiny_model, tmp_path / "sft", tmp_path / "student",
                           SFTSettings(max_steps=3, grad_accum=1, save_steps=1))
    assert second["finished"] and second["steps"] == 3 and second["resumed_from"].endswith("checkpoint-1")
