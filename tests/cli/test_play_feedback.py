"""`rrm-gym play --feedback unified` says when an attempt was correct and shows critiques as text (issue 12, row 7).

Before: a correct first answer was never called correct (the refinement just started), and the critique line
printed its repr, with raw `\\n` between the bullets.
"""

import gymnasium as gym
from click.testing import CliRunner

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.cli import main


def _gold_moves(seed: int) -> list[str]:
    env = gym.make("rrm/WebWalker-v0", difficulty="easy")
    env.reset(seed=seed)
    ref = env.unwrapped.judge_reference()
    return [f"click: {page}" for page in ref["gold_path"]] + [f"\\boxed{{{ref['answer']}}}"]


def _play(*extra, moves):
    return CliRunner().invoke(main, ["play", "rrm/WebWalker-v0", "--seed", "1", "--feedback", "unified",
                                     "--env-opt", "difficulty=easy", *extra], input="\n".join(moves) + "\n")


def test_a_correct_first_answer_is_called_correct_and_the_critique_is_text():
    result = _play(moves=[*_gold_moves(1), "\\boxed{no idea}"])
    assert result.exit_code == 0, result.output
    assert "attempt 1 was correct; refining it anyway (--refine always" in result.output
    assert "attempt 2 was not correct" in result.output
    assert "\\n" not in result.output and "critique=" not in result.output  # no repr of the critique
    assert "judge · score" in result.output and "\n│ - " in result.output  # bullets on their own lines
    assert "episode over: success=False (attempt 2's)" in result.output


def test_refine_on_failure_ends_at_the_correct_answer():
    result = _play("--refine", "on_failure", moves=_gold_moves(1))
    assert result.exit_code == 0, result.output
    assert "attempt 1 was correct" in result.output and "refining it anyway" not in result.output
    assert "episode over: success=True (attempt 1's)" in result.output

