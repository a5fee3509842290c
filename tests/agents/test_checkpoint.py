import json
import os

import pytest

from rrm_gym.agents.run.checkpoint import META_FILE, latest_checkpoint, list_checkpoints, save_checkpoint


def _writer(text):
    def write(folder):
        (folder / "weights.bin").write_bytes(text.encode())
    return write


def test_save_rotates_and_keeps_last_k(tmp_path):
    for it in range(1, 6):
        save_checkpoint(tmp_path, it, _writer(f"w{it}"), {"env_steps": 10 * it}, keep=2)
    found = list_checkpoints(tmp_path)
    assert [c.iteration for c in found] == [4, 5]
    latest = latest_checkpoint(tmp_path)
    assert latest.meta == {"iteration": 5, "env_steps": 50}
    assert (latest.path / "weights.bin").read_text() == "w5"
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["iter-000004", "iter-000005"]


def test_incomplete_checkpoints_are_ignored_and_cleaned(tmp_path):
    save_checkpoint(tmp_path, 1, _writer("w1"), keep=3)
    root = tmp_path / "checkpoints"
    # What a kill -9 can leave behind: a temporary folder, and a folder without its metadata.
    (root / ".tmp-iter-000002-abc").mkdir()
    (root / ".tmp-iter-000002-abc" / "weights.bin").write_text("partial")
    (root / "iter-000003").mkdir()
    (root / "iter-000004").mkdir()
    (root / "iter-000004" / META_FILE).write_text("{not json")
    assert latest_checkpoint(tmp_path).iteration == 1
    save_checkpoint(tmp_path, 2, _writer("w2"), keep=3)
    assert not (root / ".tmp-iter-000002-abc").exists()
    assert latest_checkpoint(tmp_path).iteration == 2


def test_failed_writer_leaves_previous_checkpoint(tmp_path):
    save_checkpoint(tmp_path, 1, _writer("w1"))

    def boom(folder):
        (folder / "half.bin").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_checkpoint(tmp_path, 2, boom)
    assert [c.iteration for c in list_checkpoints(tmp_path)] == [1]
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["iter-000001"]


def test_resaving_same_iteration_replaces_it(tmp_path):
    save_checkpoint(tmp_path, 3, _writer("old"))
    save_checkpoint(tmp_path, 3, _writer("new"), {"note": "again"})
    ck = latest_checkpoint(tmp_path)
    assert (ck.path / "weights.bin").read_text() == "new" and ck.meta["note"] == "again"
    assert json.loads((ck.path / META_FILE).read_text())["iteration"] == 3
    assert len(os.listdir(tmp_path / "checkpoints")) == 1


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="keep"):
        save_checkpoint(tmp_path, 1, _writer("x"), keep=0)
    with pytest.raises(ValueError, match="iteration"):
        save_checkpoint(tmp_path, -2, _writer("x"))
    assert latest_checkpoint(tmp_path / "nothing") is None
