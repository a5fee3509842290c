"""Critiques at inference (Reagent-C): success at attempt 1 and after the refinement, fixed vs broke (issue 9)."""

from rrm_gym.agents.run.evaluate import evaluate
from rrm_gym.judges import make
from rrm_gym.wrappers import CritiqueObservationWrapper
from tests.agents.tiny_env import TinyEnv, oracle_action


def _refining(conv) -> bool:
    return any("Reviewer critique" in m["content"] for m in conv if m["role"] == "user")


def fixer(convs):
    """Wrong at attempt 1, right once it has a critique."""
    return [oracle_action(c) if _refining(c) else "\\boxed{nothing}" for c in convs]


def breaker(convs):
    """Right at attempt 1, wrong after the critique."""
    return ["\\boxed{nothing}" if _refining(c) else oracle_action(c) for c in convs]


def _critique_eval(agent, episodes=5):
    judge = make("reference")
    return evaluate(agent, lambda: TinyEnv(), episodes=episodes, num_envs=2, progress=False,
                    wrap=lambda env: CritiqueObservationWrapper(env, judge, refine="always"))


def test_the_refinement_fixes_wrong_answers():
    res = _critique_eval(fixer)
    c = res.critique
    assert (c["success_attempt_1"], c["success_refined"], res.success_rate) == (0.0, 1.0, 1.0)
    assert (c["fixed"], c["broke"], c["kept_right"], c["kept_wrong"]) == (5, 0, 0, 0)
    assert c["refined"] == 5 and c["attempts_mean"] == 2.0
    assert res.mean_steps == 3.0  # one answer, then a look and an answer
    assert "critique" in res.to_dict()


def test_the_refinement_can_break_right_answers():
    res = _critique_eval(breaker, episodes=4)
    c = res.critique
    assert (c["success_attempt_1"], c["success_refined"]) == (1.0, 0.0)
    assert (c["fixed"], c["broke"]) == (0, 4)


def test_a_plain_evaluation_has_no_critique_block():
    res = evaluate(fixer, lambda: TinyEnv(), episodes=2, progress=False)
    assert res.critique is None and "critique" not in res.to_dict()
    assert res.per_task and all("mean_steps" in row for row in res.per_task.values())
