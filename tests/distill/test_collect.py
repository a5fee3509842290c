"""Collection on real envs: scripted solvers and their mistakes, determinism, split by task, crash-safe files."""

import json

import gymnasium as gym
import pytest

import rrm_gym  # noqa: F401
from rrm_gym.distill.collect import (
    DEFAULT_MIX,
    hash_split,
    import_trajectories,
    imported_record,
    parse_mix,
    plan_env,
    run_episode,
)
from rrm_gym.distill.label import check_split
from rrm_gym.distill.policies import MISTAKES, make_policy
from rrm_gym.distill.records import JsonlFile, read_records, request_of
from rrm_gym.judges import make

ENVS = [("rrm/WebWalker-v0", {"difficulty": "easy"}), ("rrm/MultiHopQA-v0", {})]


@pytest.fixture(scope="module", params=ENVS, ids=lambda p: p[0])
def env(request):
    env_id, kwargs = request.param
    env = gym.make(env_id, **kwargs)
    yield env_id, env
    env.close()


def test_clean_solver_succeeds_and_mistakes_show(env):
    env_id, env = env
    tasks = [tid for _, tid, _, _ in plan_env(env_id, env, split="train", tasks=4, per_task=1, mix={"solver": 1},
                                              seed=3)]
    judge = make("reference")
    for tid in tasks:
        clean = run_episode(env, make_policy("solver"), tid, 0, 12)
        assert clean["success"] and judge([request_of(clean)])[0].score == pytest.approx(1.0)
        for mistake in ("wrong", "unseen", "early", "placeholder", "noanswer"):
            rec = run_episode(env, make_policy(f"solver:{mistake}"), tid, 0, 12)
            assert not rec["success"], (mistake, rec["trajectory"])
            assert judge([request_of(rec)])[0].score < 1.0
        for mistake in ("invalid", "repeat"):
            rec = run_episode(env, make_policy(f"solver:{mistake}"), tid, 0, 12)
            assert rec["success"] and judge([request_of(rec)])[0].score < 1.0, mistake
    noanswer = run_episode(env, make_policy("solver:noanswer"), tasks[0], 1, 12)
    assert noanswer["trajectory"]["final_answer"] is None


def test_random_policy_takes_candidate_actions(env):
    env_id, env = env
    _, tid, _, _ = next(plan_env(env_id, env, split="train", tasks=1, per_task=1, mix={"random": 1}, seed=0))
    rec = run_episode(env, make_policy("random"), tid, 5, 6)
    assert 1 <= len(rec["trajectory"]["turns"]) <= 6 and rec["policy"] == "random"


def test_plans_are_deterministic_and_split_by_task(env):
    env_id, env = env
    kwargs = {"tasks": 6, "per_task": 3, "mix": DEFAULT_MIX, "seed": 1}
    train = list(plan_env(env_id, env, split="train", **kwargs))
    assert train == list(plan_env(env_id, env, split="train", **kwargs))
    val = list(plan_env(env_id, env, split="test", **kwargs))
    assert len({k for k, *_ in train + val}) == len(train) + len(val) == 36
    assert not {t for _, t, _, _ in train} & {t for _, t, _, _ in val}
    per_task = {}
    for _, tid, policy, _ in train:
        per_task.setdefault(tid, []).append(policy)
    assert all(len(set(p)) == 3 for p in per_task.values())  # distinct policies per task
    records = [{"env": env_id, "task_id": t, "split": k.split("|")[1]} for k, t, _, _ in train + val]
    assert check_split(records) == {"train": 18, "validation": 18}


def test_check_split_refuses_a_task_in_two_splits():
    with pytest.raises(ValueError, match="both"):
        check_split([{"env": "e", "task_id": "a", "split": "train"}, {"env": "e", "task_id": "a",
                                                                      "split": "validation"}])


def test_hash_split_is_stable_and_by_task():
    ids = [f"task-{i}" for i in range(400)]
    first = [hash_split(t, 0.25) for t in ids]
    assert first == [hash_split(t, 0.25) for t in ids]
    assert 0.15 < first.count("validation") / len(ids) < 0.35


def test_parse_mix():
    assert parse_mix("solver=1,random=0.5") == {"solver": 1.0, "random": 0.5}
    assert parse_mix(None) == DEFAULT_MIX and set(MISTAKES) <= {k.split(":")[-1] for k in DEFAULT_MIX}
    for bad in ("walk=1", "solver:typo=1", "solver=-1", "solver=0"):
        with pytest.raises(ValueError):
            parse_mix(bad)


def test_imported_trajectories_are_replayed(tmp_path):
    env = gym.make("rrm/MultiHopQA-v0")
    _, tid, _, _ = next(plan_env("rrm/MultiHopQA-v0", env, split="train", tasks=1, per_task=1,
                                 mix={"solver": 1}, seed=0))
    rec = run_episode(env, make_policy("solver"), tid, 0, 12)
    bare = dict(rec["trajectory"])
    bare["turns"] = [{"action": t["action"], "observation": "(clipped)"} for t in bare["turns"]]
    path = tmp_path / "trajs.jsonl"
    path.write_text(json.dumps({**bare, "env": "rrm/MultiHopQA-v0"}) + "\n" + json.dumps(
        {"question": "Who?", "turns": [{"action": "\\boxed{Ada}", "observation": "done", "reward": 1.0}],
         "final_answer": "Ada", "reference": {"answer": "Ada"}}) + "\n")
    items = list(import_trajectories(path))
    replayed = imported_record(items[0][1], env, 64)
    assert replayed["success"] and replayed["trajectory"]["turns"] == rec["trajectory"]["turns"]
    assert replayed["reference"]["answers"] == rec["reference"]["answers"]
    foreign = imported_record(items[1][1], None, 64)
    assert foreign["success"] and foreign["reference"] == {"answer": "Ada"} and foreign["task_id"] is None


def test_run_directory_samples_are_imported(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("env: rrm/WebWalker-v0\n")
    episode = {"task_id": "x", "question": "Q?", "attempts": [
        {"turns": [{"action": "\\boxed{1}", "observation": "Final answer received: 1", "reward": 0.0}],
         "final_answer": "1", "is_success": False}]}
    (run / "samples.jsonl").write_text(json.dumps(episode) + "\n")
    items = list(import_trajectories(run))
    assert items[0][0] == "rrm/WebWalker-v0" and items[0][1]["final_answer"] == "1"
    record = imported_record(items[0][1], None, 8)
    assert record["success"] is False and record["policy"] == "run:run"


def test_jsonl_file_drops_a_torn_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"key": "a"}\n{"key": "b"}\n{"key": "c", "trunc')
    f = JsonlFile(path)
    assert "a" in f and "b" in f and "c" not in f and len(f) == 2
    f.append({"key": "c"})
    assert [r["key"] for r in read_records(path)] == ["a", "b", "c"]
    path.write_text('{"key": "a"}')  # no final newline: the next append must not glue onto it
    JsonlFile(path).append({"key": "b"})
    assert [r["key"] for r in read_records(path)] == ["a", "b"]
