import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from rrm_gym.agents.llm.conversation import SYSTEM_PROMPT_AGENT, ConversationTracker, unbatch_infos
from tests.agents.tiny_env import TinyEnv, oracle_action


def test_unbatch_infos_masks_and_nested_dicts():
    infos = {
        "attempt": np.array([1, 2, 1]),
        "_attempt": np.array([True, True, False]),
        "rrm": {"score": np.array([0.0, 0.5, 0.0]), "_score": np.array([False, True, False])},
        "_rrm": np.array([False, True, False]),
        "task_id": np.array(["a", "b", None], dtype=object),
        "_task_id": np.array([True, True, False]),
    }
    out = unbatch_infos(infos, 3)
    assert out[0] == {"attempt": 1, "task_id": "a"}
    assert out[1] == {"attempt": 2, "rrm": {"score": 0.5}, "task_id": "b"}
    assert out[2] == {}
    assert isinstance(out[1]["attempt"], int)


def test_unbatch_infos_rejects_wrong_lengths():
    with pytest.raises(ValueError):
        unbatch_infos([{}, {}], 3)
    with pytest.raises(TypeError):
        unbatch_infos("nope", 1)  # type: ignore[arg-type]


def test_tracker_follows_vector_env_with_next_step_autoreset():
    envs = SyncVectorEnv([lambda: TinyEnv(split="test") for _ in range(2)], autoreset_mode=AutoresetMode.NEXT_STEP)
    tracker = ConversationTracker(2)
    obs, infos = envs.reset(seed=3)
    tracker.reset(list(obs), infos)
    convs = tracker.conversations()
    assert [m["role"] for m in convs[0]] == ["system", "user"]
    assert convs[0][0]["content"] == SYSTEM_PROMPT_AGENT
    assert convs[1][1]["content"] == obs[1]

    for _ in range(2):  # oracle: look, then answer -> both episodes end on the 2nd step
        actions = [oracle_action(c) for c in tracker.conversations()]
        obs, rewards, term, trunc, infos = envs.step(actions)
        tracker.record(actions, list(obs), infos, term, trunc)
    assert term.all() and rewards.tolist() == [1.0, 1.0]
    roles = [m["role"] for m in tracker.conversations()[0]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert tracker.episode_done(0) and tracker.episode_done(1)

    obs, rewards, term, trunc, infos = envs.step(["ignored", "ignored"])  # the autoreset step
    tracker.record(["ignored", "ignored"], list(obs), infos, term, trunc)
    convs = tracker.conversations()
    assert [len(c) for c in convs] == [2, 2]
    assert convs[0][1]["content"] == obs[0] and "ignored" not in str(convs)
    assert tracker.new_conversation == [True, True]
    envs.close()


def test_tracker_starts_fresh_conversation_on_new_attempt():
    tracker = ConversationTracker(2, system_prompt="sys")
    tracker.reset(["q0", "q1"], {"attempt": np.array([1, 1]), "_attempt": np.array([True, True])})
    infos = {"attempt": np.array([2, 1]), "_attempt": np.array([True, True])}
    tracker.record(["a0", "a1"], ["q0 + previous attempt + critique", "o1"], infos, [False, False], [False, False])
    convs = tracker.conversations()
    assert convs[0] == [{"role": "system", "content": "sys"},
                        {"role": "user", "content": "q0 + previous attempt + critique"}]
    assert [m["content"] for m in convs[1]] == ["sys", "q1", "a1", "o1"]
    assert tracker.new_conversation == [True, False]


def test_tracker_same_step_mode_and_trimming():
    tracker = ConversationTracker(1, system_prompt="", max_turns_kept=1, autoreset_mode="same_step")
    tracker.reset(["q"], {})
    tracker.record(["a1"], ["o1"], {}, [False], [False])
    tracker.record(["a2"], ["o2"], {}, [False], [False])
    assert [m["content"] for m in tracker.conversations()[0]] == ["q", "a2", "o2"]
    tracker.record(["a3"], ["new episode"], {}, [True], [False])
    assert tracker.conversations()[0] == [{"role": "user", "content": "new episode"}]


def test_tracker_rejects_misuse():
    with pytest.raises(ValueError):
        ConversationTracker(0)
    with pytest.raises(ValueError):
        ConversationTracker(1, autoreset_mode="sometimes")
    tracker = ConversationTracker(2)
    with pytest.raises(ValueError):
        tracker.reset(["only one"], {})
