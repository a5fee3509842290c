"""The reference critique's counts agree with what it lists (issue 12: it said "6 of the 6 pages" and listed 5)."""

import re

from rrm_gym.judges import make
from rrm_gym.types import JudgeRequest, Trajectory, Turn

BUTTONS = ["Admissions", "Faculties", "People", "Campus", "News", "Library", "Sports", "Alumni"]


def _critique(buttons: list[str], clicked: list[str]) -> str:
    page = "Current page: Home\n" + "\n".join(f"[Button: {b}]" for b in buttons)
    turns = [Turn(page, f"click: {b}", 0.0, {"tool": "click", "page": b}) for b in clicked]
    turns.append(Turn("Final answer received: I do not know", "\\boxed{I do not know}", 0.0,
                      {"final_answer": "I do not know"}))
    first = Turn(page, "look around", 0.0, {"action_error": "unknown action"})
    traj = Trajectory("t", "How many students are enrolled?", (first, *turns), "I do not know")
    [j] = make("reference")([JudgeRequest(traj.question, traj, {"answer": "42"})])
    return next(line for line in j.critique.splitlines() if "options shown to you" in line)


def test_every_unexplored_option_is_accounted_for():
    line = _critique(BUTTONS[:6], [])
    assert "never explored any of the 6 options shown to you" in line
    quoted = re.findall(r'"([^"]+)"', line)
    assert len(quoted) == 5 and line.count(" and 1 more") == 1, line  # 5 named + 1 more = 6


def test_a_partial_count_names_all_it_counts():
    line = _critique(BUTTONS, ["Admissions"])
    count, total = map(int, re.search(r"never explored (\d+) of the (\d+) options", line).groups())
    assert (count, total) == (7, 8)
    more = int(re.search(r" and (\d+) more", line).group(1))
    assert len(re.findall(r'"([^"]+)"', line)) + more == count
