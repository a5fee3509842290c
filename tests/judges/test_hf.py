"""The ``hf`` judge with the real bundled SmolLM2-135M-Instruct (a poor judge: parse failures are expected)."""

from __future__ import annotations

import pytest

from rrm_gym.judges import SYSTEM_PROMPT, HFJudge, make
from rrm_gym.judges.prompt import serialize_trajectory
from rrm_gym.types import Judgement, Trajectory, Turn
from tests.judges.helpers import REFERENCE, bad_trajectory, good_trajectory, request


@pytest.fixture(scope="module")
def judge():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a shared CPU, one thread is several times faster than spinning OpenMP threads
    built = make("hf", max_new_tokens=24, max_trajectory_tokens=200, batch_size=2)
    assert isinstance(built, HFJudge)
    yield built
    torch.set_num_threads(threads)


def _check(j: Judgement, judge: HFJudge) -> None:
    assert isinstance(j, Judgement)
    assert j.judge == judge.name and judge.name.startswith("hf:") and j.latency_s > 0
    if j.ok:
        assert 0.0 <= j.score <= 1.0
    else:
        assert j.score is None and j.error and isinstance(j.raw, str)


def test_batched_call_returns_one_judgement_per_request(judge):
    reqs = [request(good_trajectory()), request(bad_trajectory()), request(bad_trajectory(final=None))]
    out = judge(reqs)  # batch_size=2: two generate calls, put back in request order
    assert len(out) == 3
    for j in out:
        _check(j, judge)
    assert judge.uses_prefix_cache
    # The shared system-prompt cache changes nothing in what greedy decoding writes.
    judge.prefix_cache = False
    judge.clear_prefix_cache()
    try:
        plain = judge(reqs)
    finally:
        judge.prefix_cache = True
        judge.clear_prefix_cache()
    assert not judge.uses_prefix_cache
    assert [j.raw for j in plain] == [j.raw for j in out]
    single = judge(reqs[:1])
    assert len(single) == 1
    _check(single[0], judge)
    assert judge([]) == []


def test_prompt_uses_the_tokenizer_budget_and_never_the_reference(judge):
    long = Trajectory("t", "q", [Turn("observation " * 80, f"search: {i}") for i in range(20)], "x")
    messages = judge.messages(request(long))
    assert messages[0]["content"] == SYSTEM_PROMPT
    trajectory = messages[1]["content"].split("Agent Trajectory: ", 1)[1]
    assert judge.count_tokens(trajectory) <= 200
    assert trajectory == serialize_trajectory(long, 200, judge.count_tokens)
    key = judge.cache_key(request(good_trajectory()))
    # the stop at </score> changes what is written, so it is part of the key
    assert key["params"] == {"max_new_tokens": 24, "temperature": 0.0, "stop_strings": ["</score>"],
                             "dtype": "torch.float32", "score_fallback_tokens": 12}
    assert REFERENCE["answers"][1] not in str(key)
    assert judge.count_prompt_tokens(request(good_trajectory())) > judge.count_tokens(SYSTEM_PROMPT)


def test_a_reply_without_a_score_is_finished_by_the_same_model(judge):
    reqs = [request(good_trajectory()), request(bad_trajectory())]
    judge.score_fallback = False
    try:
        plain = judge(reqs)  # 24 tokens: the untrained model never gets to a score
    finally:
        judge.score_fallback = True
    assert not any(j.ok for j in plain)
    judge.engine_stats.clear()
    out = judge(reqs)
    assert judge.engine_stats["score_fallbacks"] == 2
    assert judge.engine_stats.get("score_fallbacks_ok", 0) == sum(j.ok for j in out)
    for before, after in zip(plain, out, strict=True):
        _check(after, judge)
        assert after.raw.startswith(before.raw.rstrip())  # the reply itself is kept verbatim
        added = after.raw[len(before.raw.rstrip()) :]
        assert "<score>" in added and added.endswith("</score>")  # the completion opened and closed the block


def test_bad_arguments_fail_before_loading():
    with pytest.raises(ValueError, match="positive"):
        HFJudge(max_new_tokens=0)
    with pytest.raises(ValueError, match="temperature"):
        HFJudge(temperature=-1)
