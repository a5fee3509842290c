"""The continuous-batching engine of the ``hf`` judge with the real bundled SmolLM2-135M-Instruct.

Greedy decoding through the engine (several slots, so finished replies are replaced mid-batch) must give the same
tokens as ``model.generate`` one request at a time, the path the judge used before.
"""

from __future__ import annotations

import pytest

from rrm_gym.judges import make
from rrm_gym.judges.hf_engine import ContinuousBatcher, Sampling, sampling_from
from rrm_gym.types import Trajectory, Turn
from tests.judges.helpers import bad_trajectory, good_trajectory, request


@pytest.fixture(scope="module")
def judge():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    built = make("hf", max_new_tokens=20, max_trajectory_tokens=160, batch_size=2)
    yield built
    torch.set_num_threads(threads)


def _requests():
    short = Trajectory("t", "What is 2+2?", (Turn("ok", "\\boxed{4}"),), "4")
    two = Trajectory("t2", "Name the capital of France.",
                     (Turn("Paris is the capital.", "search: France"), Turn("done", "\\boxed{Lyon}")), "Lyon")
    return [request(good_trajectory()), request(bad_trajectory()), request(short),
            request(bad_trajectory(final=None)), request(two)]


def _one_by_one(judge, requests):
    judge.engine = "generate"
    try:
        return [judge([r])[0] for r in requests]
    finally:
        judge.engine = "continuous"


@pytest.mark.slow
def test_continuous_batching_writes_what_generate_writes_one_by_one(judge):
    reqs = _requests()
    judge.engine_stats.clear()
    batched = judge(reqs)  # 2 slots, 5 requests: three refills while other replies are mid-way
    assert judge.engine == "continuous" and judge.engine_error is None
    assert judge.engine_stats["prefills"] == len(reqs) and judge.engine_stats["decode_steps"] > 0
    assert judge.engine_stats["row_steps"] > judge.engine_stats["decode_steps"]  # rows really decoded together
    single = _one_by_one(judge, reqs)
    assert [j.raw for j in batched] == [j.raw for j in single]
    assert [(j.ok, j.score, j.critique, j.error) for j in batched] == [(j.ok, j.score, j.critique, j.error)
                                                                       for j in single]


@pytest.mark.slow
def test_engine_tokens_match_generate_with_a_stop_string_and_min_length(judge):
    import torch

    rows = [judge.tokenizer(judge._prompt(judge.messages(r)), add_special_tokens=False)["input_ids"]
            for r in _requests()[:3]]
    params = {**judge._generation_params(), "stop_strings": ["final answer"], "min_new_tokens": 6}
    sampling = sampling_from(params, judge.model.generation_config)
    assert sampling is not None and sampling.stop_strings == ("final answer",) and sampling.min_new_tokens == 6
    engine = ContinuousBatcher(judge.model, judge.tokenizer, sampling, slots=3, prefix=judge._shared_prefix())
    replies = engine.generate(rows)
    for row, reply in zip(rows, replies, strict=True):
        with torch.inference_mode():
            out = judge.model.generate(input_ids=torch.tensor([row]), attention_mask=torch.ones(1, len(row),
                                       dtype=torch.long), **params)
        assert reply == out[0, len(row):].tolist()  # one row: generate pads nothing
        if reply[-1] in sampling.eos_ids:
            assert len(reply) >= 6  # min_new_tokens holds end-of-sequence back (a stop string still stops)
        elif len(reply) < sampling.max_new_tokens:
            assert "final answer" in judge.tokenizer.decode(reply)  # it stopped on the stop string


def test_settings_the_engine_does_not_implement_fall_back_to_generate():
    assert sampling_from({"max_new_tokens": 8, "repetition_penalty": 1.2}, None) is None
    assert sampling_from({"max_new_tokens": 8, "num_beams": 2}, None) is None
    s = sampling_from({"max_new_tokens": 8, "do_sample": True, "temperature": 0.7, "stop_strings": "</score>"}, None)
    assert s == Sampling(max_new_tokens=8, do_sample=True, temperature=0.7, top_k=50, stop_strings=("</score>",))
    with pytest.raises(ValueError, match="slots"):
        ContinuousBatcher(object(), None, s, slots=0)


@pytest.mark.slow
def test_unsupported_generation_kwargs_use_generate(judge):
    judge.generation_kwargs["repetition_penalty"] = 1.0
    judge.engine_stats.clear()
    try:
        out = judge(_requests()[:2])
    finally:
        del judge.generation_kwargs["repetition_penalty"]
    engine = {k for k in judge.engine_stats if not k.startswith("score_fallbacks")}
    assert len(out) == 2 and engine == set()  # the engine never ran
