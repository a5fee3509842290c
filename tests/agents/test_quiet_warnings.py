"""No third-party deprecation warning users cannot act on (issue 12: a transformers FutureWarning on every LLM run).

The filter is narrow: it covers the calls that trigger the warning and nothing else.
"""

import warnings

import pytest

from rrm_gym._warnings import quiet_third_party_deprecations
from tests.agents.tiny_lm import make_tiny_lm


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return str(make_tiny_lm(tmp_path_factory.mktemp("tiny-lm")))


def test_building_a_lora_policy_prints_no_future_warning(tiny_model):
    from rrm_gym.agents.llm.policy import LLMPolicy

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LLMPolicy(tiny_model, value_head=False)
    assert not [w for w in caught if issubclass(w.category, FutureWarning)], [str(w.message) for w in caught]


def test_the_filter_is_narrow_and_not_global():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_third_party_deprecations():
            warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning,
                          stacklevel=1)
            warnings.warn("something else is deprecated", FutureWarning, stacklevel=1)
        warnings.warn("`is_gradient_checkpointing` is deprecated", FutureWarning, stacklevel=1)  # outside: shown
    assert [str(w.message) for w in caught] == ["something else is deprecated",
                                                "`is_gradient_checkpointing` is deprecated"]
