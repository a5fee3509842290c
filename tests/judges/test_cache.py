from __future__ import annotations

import multiprocessing as mp
import pickle
import sqlite3
import threading
from pathlib import Path

from rrm_gym.judges import SYSTEM_PROMPT, CachedJudge, ConstantJudge, OpenAIJudge, ReferenceJudge, make
from rrm_gym.types import Judgement, JudgeRequest, Trajectory, Turn
from tests.judges.helpers import REFERENCE, bad_trajectory, good_trajectory, request


def requests(n: int, start: int = 0) -> list[JudgeRequest]:
    return [JudgeRequest(f"q{i}", Trajectory(f"t{i}", f"q{i}", [Turn("o", f"a{i}")], "x")) for i in range(start, n)]


class FlakyJudge:
    """Fails every request it sees (to check that failures are not cached)."""

    name = "flaky"

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, reqs):
        self.seen += len(reqs)
        return [Judgement.failure("server down", judge=self.name) for _ in reqs]


def test_hits_misses_and_cached_flag(tmp_path):
    inner = ConstantJudge(0.3)
    judge = CachedJudge(inner, tmp_path / "c.sqlite")
    first = judge(requests(3))
    assert [j.cached for j in first] == [False] * 3 and (judge.hits, judge.misses) == (0, 3)
    again = judge(requests(4))
    assert [j.cached for j in again] == [True, True, True, False]
    assert all(j.latency_s == 0.0 for j in again[:3]) and again[0].score == 0.3
    assert (judge.hits, judge.misses) == (3, 4) and inner.requests_seen == 4
    assert judge.name == inner.name and len(judge) == 4


def test_survives_a_restart(tmp_path):
    path = tmp_path / "sub" / "c.sqlite"
    CachedJudge(ConstantJudge(0.3), path)(requests(5))
    inner = ConstantJudge(0.3)
    reopened = CachedJudge(inner, path)
    out = reopened(requests(5))
    assert all(j.cached and j.score == 0.3 for j in out) and inner.requests_seen == 0
    assert reopened.hits == 5 and reopened.misses == 0


def test_failures_are_not_cached(tmp_path):
    inner = FlakyJudge()
    judge = CachedJudge(inner, tmp_path / "c.sqlite")
    assert not judge(requests(2))[0].ok
    assert not judge(requests(2))[0].ok
    assert inner.seen == 4 and len(judge) == 0


def test_identical_requests_in_one_batch_are_judged_once(tmp_path):
    inner = ConstantJudge()
    judge = CachedJudge(inner, tmp_path / "c.sqlite")
    out = judge(requests(1) * 3)
    assert inner.requests_seen == 1 and len(out) == 3 and [j.cached for j in out] == [False, True, True]
    assert (judge.hits, judge.misses) == (2, 1)


def test_key_depends_on_judge_identity(tmp_path):
    path = tmp_path / "c.sqlite"
    low, high = CachedJudge(ConstantJudge(0.1), path), CachedJudge(ConstantJudge(0.9), path)
    req = requests(1)
    assert low(req)[0].score == 0.1 and high(req)[0].score == 0.9
    assert low.key(req[0]) != high.key(req[0])


def test_reference_judge_key_includes_the_reference(tmp_path):
    judge = CachedJudge(ReferenceJudge(), tmp_path / "c.sqlite")
    with_ref, without = request(bad_trajectory()), request(bad_trajectory(), None)
    a, b = judge([with_ref]), judge([without])
    assert judge.misses == 2 and a[0].score != b[0].score
    assert a[0].critique == b[0].critique  # the reference changes the score only (the critique contract)


def test_a_new_reference_judge_version_misses_the_cache(tmp_path, monkeypatch):
    from rrm_gym.judges import reference

    path = tmp_path / "c.sqlite"
    reqs = [request(good_trajectory()), request(bad_trajectory())]
    first = CachedJudge(ReferenceJudge(), path)
    first(reqs)
    same = CachedJudge(ReferenceJudge(), path)
    assert all(j.cached for j in same(reqs)) and (same.hits, same.misses) == (2, 0)
    monkeypatch.setattr(reference, "VERSION", reference.VERSION + "-next")
    bumped = CachedJudge(ReferenceJudge(), path)
    assert not any(j.cached for j in bumped(reqs)) and (bumped.hits, bumped.misses) == (0, 2)
    oracle = CachedJudge(ReferenceJudge(oracle_hints=True), path)
    assert not any(j.cached for j in oracle(reqs))
    assert len(CachedJudge(ConstantJudge(), path)) == 6


def test_version_is_found_through_wrapper_judges(tmp_path):
    from rrm_gym.judges.budget import BudgetJudge
    from rrm_gym.judges.cache import judge_version

    class Versioned(ConstantJudge):
        version = "v1"

    assert judge_version(BudgetJudge(Versioned(), max_calls=5)) == "v1"
    path = tmp_path / "c.sqlite"
    old, new = Versioned(), Versioned()
    new.version = "v2"
    assert CachedJudge(old, path).key(requests(1)[0]) != CachedJudge(new, path).key(requests(1)[0])


def test_constant_judge_key_includes_its_settings(tmp_path):
    path = tmp_path / "c.sqlite"
    a = CachedJudge(ConstantJudge(0.5, "one critique"), path)
    b = CachedJudge(ConstantJudge(0.5, "another critique"), path)
    assert a.key(requests(1)[0]) != b.key(requests(1)[0])
    a(requests(1))
    assert b(requests(1))[0].critique == "another critique" and b.misses == 1


def _tiny_hf_model(folder: Path) -> Path:
    """A real (random, tiny) Llama checkpoint with the bundled SmolLM2 tokenizer, saved as a Hugging Face folder."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from rrm_gym.models import bundled_model_path

    tokenizer = AutoTokenizer.from_pretrained(bundled_model_path())
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def test_new_hf_weights_at_the_same_path_miss_the_cache(tmp_path):
    import os

    from rrm_gym.judges import HFJudge

    folder = _tiny_hf_model(tmp_path / "model")
    path = tmp_path / "c.sqlite"
    req = request(good_trajectory())
    judge = CachedJudge(HFJudge(str(folder), max_new_tokens=2, device="cpu"), path)
    key = judge.key(req)
    assert CachedJudge(HFJudge(str(folder), max_new_tokens=2, device="cpu"), path).key(req) == key  # same: a hit
    judge._store([(key, Judgement(score=0.4, critique="stored"))])  # a stored entry under the current weights
    assert judge([req])[0].cached and judge.hits == 1
    weights = folder / "model.safetensors"
    stat = weights.stat()
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # new weights written in place
    assert judge.key(req) != key
    assert judge([req])[0].cached is False and judge.misses == 1


def test_llm_judge_key_is_the_prompt_not_the_reference(tmp_path):
    judge = CachedJudge(OpenAIJudge("http://127.0.0.1:9/v1", "m"), tmp_path / "c.sqlite")
    traj = good_trajectory()
    same_prompt = [JudgeRequest(traj.question, traj, REFERENCE), JudgeRequest(traj.question, traj, None)]
    assert judge.key(same_prompt[0]) == judge.key(same_prompt[1])
    assert judge.key(same_prompt[0]) != judge.key(request(bad_trajectory()))
    other_model = CachedJudge(OpenAIJudge("http://127.0.0.1:9/v1", "m2"), tmp_path / "c.sqlite")
    assert other_model.key(same_prompt[0]) != judge.key(same_prompt[0])
    inner = OpenAIJudge("http://127.0.0.1:8/v1", "m")
    key = inner.cache_key(same_prompt[0])
    assert key["base_url"] == "http://127.0.0.1:8/v1" and key["model"] == "m"
    assert key["body"]["messages"][0]["content"] == SYSTEM_PROMPT  # the prompt is part of the key


def test_wal_mode_and_pickling(tmp_path):
    path = tmp_path / "c.sqlite"
    judge = CachedJudge(ConstantJudge(), path)
    judge(requests(2))
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode.lower() == "wal"
    clone = pickle.loads(pickle.dumps(judge))
    assert all(j.cached for j in clone(requests(2)))


def test_threads_share_one_cache(tmp_path):
    judge = CachedJudge(ConstantJudge(), tmp_path / "c.sqlite")
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for _ in range(5):
                judge(requests(offset + 10, offset))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 5,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(judge) == 25
    assert judge.hits + judge.misses == 4 * 5 * 10


def _child(path: str, start: int, stop: int, queue) -> None:  # noqa: ANN001 - runs in another process
    inner = ConstantJudge(0.4)
    judge = CachedJudge(inner, path)
    out = judge(requests(stop, start))
    queue.put((judge.hits, judge.misses, inner.requests_seen, sum(j.cached for j in out)))


def _run(ctx, path: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    queue = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(path, a, b, queue)) for a, b in spans]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def test_cache_is_shared_across_processes(tmp_path):
    ctx = mp.get_context("spawn")
    path = str(tmp_path / "shared.sqlite")
    # Process 1 fills the cache; process 2 then finds those entries without calling its judge.
    assert _run(ctx, path, [(0, 10)]) == [(0, 10, 10, 0)]
    assert _run(ctx, path, [(0, 20)]) == [(10, 10, 10, 10)]
    # Two processes writing at the same time: no lock errors, every entry lands once.
    results = _run(ctx, path, [(20, 60), (40, 80)])
    assert all(hits + misses == 40 for hits, misses, _, _ in results)
    assert len(CachedJudge(ConstantJudge(0.4), path)) == 80


def test_make_wraps_in_a_cache(tmp_path):
    judge = make("constant", score=0.2, cache=Path(tmp_path) / "m.sqlite")
    assert isinstance(judge, CachedJudge)
    judge(requests(1))
    assert judge(requests(1))[0].cached
