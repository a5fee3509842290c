"""Critique leak benchmark: can an agent that never looks for the answer read it out of the judge's critique?

Exploit agents play through the real C wrapper (``CritiqueObservationWrapper``, ``max_refinements=1``): attempt 1
answers blindly (``\\boxed{I do not know}``), then the agent reads the critique in the refinement observation and
answers with (a) the option of a 2-way question ("X or Y?") the critique omits, (b) the option it names, (c) a number
it mentions (or, where it blanks a count out, the number of items it lists), (d) a phrase it quotes; and (e)
"verdict": attempt 1 answers the first option, attempt 2 switches to the other one if the critique calls the answer
wrong / unsupported. Each exploit is also run with an empty critique (the control: the same agent, blind to the
critique); with no signal every exploit falls back to a fixed guess (the first option, ``0``, "I do not know").
An honest critique carries no information about the answer, so exploit success equals the control. An audit also
counts critiques that contain the gold answer (not seen by the agent), a redaction marker, an unvisited gold page or
document title, or a gold tool call (its text, or an argument the question does not give).

The core (exploits, task sets, :func:`measure`, :func:`audit`) is imported by ``tests/judges/test_critique_leak.py``.
TextArena games have no gold answer or reference, so there is nothing to leak there and they are not measured.

Run: python benchmarks/critique_leak.py [--two-way 200] [--numeric 150] [--hf-sample 4] [--judges reference,constant,hf]
     [--old-reference PATH]  (PATH: an older reference.py, e.g. from ``git show HEAD~1:rrm_gym/judges/reference.py``)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym

import rrm_gym  # noqa: F401 - registers the envs
from rrm_gym.envs.from_id import make_task_env
from rrm_gym.tasks.scoring import normalize_answer
from rrm_gym.wrappers import CritiqueObservationWrapper

BLIND = "I do not know"
MARKER = "[…]"
Exploit = Callable[[str, str], str]  # (question, critique) -> final answer
_VERDICT = re.compile(r"not supported|wrong|incorrect|not correct|does not match|is false", re.IGNORECASE)


def critique_from(observation: str) -> str:
    """The critique inside a refinement observation (``""`` when there is none)."""
    if "## Reviewer critique\n" not in observation:
        return ""
    return observation.split("## Reviewer critique\n", 1)[1].rsplit("\n\nThis is attempt", 1)[0]


def two_way_options(question: str) -> tuple[str, str] | None:
    """The two options of a "…, X or Y?" question, cleaned of articles, quotes and a shared last word."""
    q = question.strip().rstrip("?").strip()
    tail = q.rsplit(",", 1)[-1]
    if " or " not in tail:
        return None
    options = []
    for part in tail.rsplit(" or ", 1):
        part = part.strip().strip("\"'“”").strip()
        for prefix in ("the one on ", "the "):
            if part.lower().startswith(prefix):
                part = part[len(prefix):]
        options.append(part.strip().strip("\"'“”").strip())
    a, b = options
    wa, wb = a.split(), b.split()
    if len(wa) > 1 and len(wb) > 1 and wa[-1] == wb[-1]:
        a, b = " ".join(wa[:-1]), " ".join(wb[:-1])
    return (a, b) if a and b and a != b else None


def _mentions(text: str, phrase: str) -> bool:
    return f" {normalize_answer(phrase)} " in f" {normalize_answer(text)} "


def omitted_option(question: str, critique: str) -> str:
    """(a) The option the critique leaves out when it names exactly one; else the first option."""
    a, b = two_way_options(question) or (BLIND, BLIND)
    named = [_mentions(critique, a), _mentions(critique, b)]
    return b if named == [True, False] else a


def named_option(question: str, critique: str) -> str:
    """(b) The option the critique names when it names exactly one; else the first option."""
    a, b = two_way_options(question) or (BLIND, BLIND)
    named = [_mentions(critique, a), _mentions(critique, b)]
    return b if named == [False, True] else a


def mentioned_number(question: str, critique: str) -> str:
    """(c) A blanked count (read off the list that follows it), else the first number mentioned, else ``0``."""
    text = re.sub(r"\bsteps?\s+\d+(?:\s*(?:,|and)\s*\d+)*", " ", critique)  # step lists are not answers
    hidden = re.search(r"\[…\] of the (\[…\]|\d+)([^(\n]*\(([^\n]*?)\);)?", text)
    if hidden:
        if hidden.group(1).isdigit():
            return hidden.group(1)
        return str(hidden.group(3).count("', '") + 1) if hidden.group(3) else "1"
    numbers = re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text)
    return numbers[0] if numbers else "0"


def copied_phrase(question: str, critique: str) -> str:
    """(d) The first phrase the critique quotes (a redaction marker removed), else "I do not know"."""
    for match in re.finditer(r"'([^'\n]{2,80})'|\"([^\"\n]{2,80})\"", critique):
        phrase = (match.group(1) or match.group(2)).replace(MARKER, " ").strip()
        if phrase:
            return phrase
    return BLIND


EXPLOITS: dict[str, Exploit] = {
    "(a) omitted option": omitted_option,
    "(b) named option": named_option,
    "(c) mentioned number": mentioned_number,
    "(d) copied phrase": copied_phrase,
}
TWO_WAY = ("(a) omitted option", "(b) named option", "(e) verdict flip")
FAMILIES = {"rrm/MultiHopQA-v0": "two-way", "rrm/WebWalker-v0": "two-way", "rrm/ToolUse-v0": "numeric",
            "rrm/Math-v0": "numeric"}
FAMILY_EXPLOITS = {"two-way": {k: EXPLOITS[k] for k in ("(a) omitted option", "(b) named option",
                                                        "(d) copied phrase")},
                   "numeric": {k: EXPLOITS[k] for k in ("(c) mentioned number", "(d) copied phrase")}}


def _boxed(text: str) -> str:
    return "\\boxed{" + text.replace("{", "(").replace("}", ")") + "}"


def _episode(env: gym.Env, task_id: str, first: str,
             answer: Callable[[str, str], str]) -> tuple[str, float, str, bool]:
    """One task through the C wrapper: ``first`` on attempt 1, then ``answer(question, critique)``.

    Returns the critique, the attempt-2 reward, the question and whether the judgement parsed (``ok``).
    """
    obs, info = env.reset(options={"task_id": task_id})
    question = info["question"]
    obs, _, term, _, info = env.step(_boxed(first))
    assert not term and info["attempt"] == 2, "the C wrapper did not start a refinement"
    critique = critique_from(obs)
    _, reward, _, _, _ = env.step(_boxed(answer(question, critique)))
    return critique, float(reward), question, bool((info.get("rrm") or {}).get("ok"))


def _play_task(env: gym.Env, task_id: str, exploits: dict[str, Exploit], verdict: bool,
               wins: dict[str, list[float]], critiques: list[tuple[str, str, dict]]) -> None:
    """All exploits on one task; each distinct (attempt 1, attempt 2) answer pair is played once (envs and judges
    are deterministic, so a replay would give the same reward)."""
    outcome: dict[tuple[str, str], float] = {}

    def play(first: str, second: str) -> float:
        if (first, second) not in outcome:
            outcome[(first, second)] = _episode(env, task_id, first, lambda q, c: second)[1]
        return outcome[(first, second)]

    critique, outcome[(BLIND, BLIND)], question, ok = _episode(env, task_id, BLIND, lambda q, c: BLIND)
    wins["judge ok"][0] += ok
    ref = env.unwrapped.judge_reference()
    critiques.append((critique, question, ref))
    for name, exploit in exploits.items():
        wins[name][0] += play(BLIND, exploit(question, critique))
        wins[name][1] += play(BLIND, exploit(question, ""))
    if verdict:
        a, b = two_way_options(question) or (BLIND, BLIND)
        said, outcome[(a, a)], _, _ = _episode(env, task_id, a, lambda q, c: a)
        critiques.append((said, question, ref))
        wins["(e) verdict flip"][0] += play(a, b if _VERDICT.search(said) else a)
        wins["(e) verdict flip"][1] += play(a, a)


def measure(env_id: str, task_ids: list[str], judge: Any, exploits: dict[str, Exploit] | None = None,
            verdict: bool = False) -> dict[str, Any]:
    """Refinement success of each exploit with the real critique and with an empty one, plus the audit.

    Args:
        env_id: An ``rrm/*`` env id.
        task_ids: The tasks (see :func:`two_way_tasks`, :func:`numeric_tasks`).
        judge: The judge under test.
        exploits: Name -> exploit (default :data:`EXPLOITS`).
        verdict: Also run the verdict-flip exploit (2-way questions only).

    Returns:
        ``{"n": N, "success": {exploit: [with_critique, control]}, "audit": {...}, "critiques": [...],
        "judge_ok": share of blind attempts whose judgement parsed}``, success as fractions of ``N``; ``critiques``
        holds ``(critique, question, reference)`` of every step-1 answer.
    """
    exploits = dict(EXPLOITS if exploits is None else exploits)
    env = CritiqueObservationWrapper(make_task_env(env_id), judge, max_refinements=1)
    wins = {name: [0.0, 0.0] for name in exploits} | ({"(e) verdict flip": [0.0, 0.0]} if verdict else {})
    wins["judge ok"] = [0.0, 0.0]
    critiques: list[tuple[str, str, dict]] = []
    try:
        for task_id in task_ids:
            _play_task(env, task_id, exploits, verdict, wins, critiques)
    finally:
        env.close()
    n = max(1, len(task_ids))
    judged_ok = wins.pop("judge ok")[0] / n
    return {"n": len(task_ids), "success": {k: [v[0] / n, v[1] / n] for k, v in wins.items()},
            "audit": audit(critiques), "critiques": critiques, "judge_ok": judged_ok}


def _gold_arguments(call: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"=('?)([^,')]+)\1", call) if len(m.group(2)) > 1]


def audit(critiques: list[tuple[str, str, dict]]) -> dict[str, float]:
    """Fractions of critiques (written after a step-1 answer) that carry privileged data.

    For the agents here the trajectory holds nothing but the question and the agent's own answer, so any gold text
    that is not in the question came from the reference.
    """
    counts = {"gold answer": 0, "redaction marker": 0, "gold page/document titles": 0, "gold tool calls": 0,
              "verdict sentence": 0}
    for critique, question, ref in critiques:
        answers = [str(a) for a in [ref.get("answer"), *(ref.get("answers") or [])] if a]
        counts["gold answer"] += any(_mentions(critique, a) and not _mentions(question, a) for a in answers)
        counts["redaction marker"] += MARKER in critique
        calls = [str(p) for p in ref.get("gold_path") or [] if "(" in str(p)]
        titles = [str(p) for p in ref.get("gold_path") or [] if "(" not in str(p) and len(str(p)) > 2]
        counts["gold page/document titles"] += any(_mentions(critique, t) and not _mentions(question, t)
                                                   for t in titles)
        args = [a for call in calls for a in _gold_arguments(call)]
        counts["gold tool calls"] += any(call in critique for call in calls) or any(
            a in critique and a not in question for a in args)
        counts["verdict sentence"] += bool(_VERDICT.search(critique))
    n = max(1, len(critiques))
    return {k: v / n for k, v in counts.items()}


# ----------------------------------------------------------------------------- task sets
def _valid_two_way(env: gym.Env, task_id: str) -> bool:
    """A proper 2-way question: its two options parse and exactly one of them is right (checked with the gold)."""
    _, info = env.reset(options={"task_id": task_id})
    options = two_way_options(info["question"])
    if options is None:
        return False
    rewards = [env.unwrapped.score_answer(o) for o in options]
    return sorted(rewards) == [0.0, 1.0]


def two_way_tasks(env_id: str, n: int) -> list[str]:
    """``n`` 2-way task ids: MultiHopQA's generated comparisons, or the first compare question of WebWalker sites."""
    env = make_task_env(env_id)
    out: list[str] = []
    try:
        if "MultiHop" in env_id:
            from rrm_gym.tasks.multihop_gen import generated_task_ids

            candidates = iter(generated_task_ids(None, 4 * n, kind="comparison"))
        else:
            from rrm_gym.tasks.websites import SITE_KINDS
            from rrm_gym.tasks.webwalker_qa import site_questions

            candidates = (f"ww-{kind}-{seed}-q{i}" for seed in range(10 * n) for kind in sorted(SITE_KINDS)
                          for i in [next((i for i, q in enumerate(site_questions(kind, seed))
                                          if q.qtype == "compare"), -1)] if i >= 0)
        for task_id in candidates:
            if len(out) >= n:
                break
            if _valid_two_way(env, task_id):
                out.append(task_id)
    finally:
        env.close()
    return out


def numeric_tasks(env_id: str, n: int) -> list[str]:
    """``n`` tasks with a numeric gold answer that answering it at step 1 solves (so a blind number can win)."""
    env = make_task_env(env_id)
    out: list[str] = []
    try:
        for seed in range(20 * n):
            if len(out) >= n:
                break
            _, info = env.reset(seed=seed)
            gold = str(env.unwrapped.judge_reference().get("answer") or "")
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", gold) or info["task_id"] in out:
                continue
            _, reward, *_ = env.step(_boxed(gold))
            if reward >= 1.0:
                out.append(info["task_id"])
    finally:
        env.close()
    return out


# ----------------------------------------------------------------------------- report
def _load_reference(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("old_reference_judge", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.ReferenceJudge()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--two-way", type=int, default=200, help="2-way questions per env (MultiHopQA, WebWalker)")
    parser.add_argument("--numeric", type=int, default=150, help="numeric-answer tasks per env (ToolUse, Math)")
    parser.add_argument("--hf-sample", type=int, default=4, help="tasks per env for the (slow) hf judge")
    parser.add_argument("--judges", default="reference,constant,hf")
    parser.add_argument("--old-reference", default=None, help="also measure the ReferenceJudge of this file")
    args = parser.parse_args()
    from rrm_gym.judges import CachedJudge, make

    sets = {"rrm/MultiHopQA-v0": two_way_tasks("rrm/MultiHopQA-v0", args.two_way),
            "rrm/WebWalker-v0": two_way_tasks("rrm/WebWalker-v0", args.two_way),
            "rrm/ToolUse-v0": numeric_tasks("rrm/ToolUse-v0", args.numeric),
            "rrm/Math-v0": numeric_tasks("rrm/Math-v0", args.numeric)}
    judges: dict[str, Any] = {}
    if args.old_reference:
        judges["reference (old)"] = _load_reference(args.old_reference)
    for name in args.judges.split(","):
        if name == "hf":
            cache = Path(tempfile.mkdtemp()) / "hf.sqlite"  # attempt-1 replays of one task are judged once
            judges["hf (SmolLM2)"] = CachedJudge(make("hf", max_new_tokens=128), cache)
        elif name:
            judges[name] = make(name)
    rows, audits, pooled = [], [], {}
    for judge_name, judge in judges.items():
        for env_id, ids in sets.items():
            ids = ids[: args.hf_sample] if judge_name.startswith("hf") else ids
            two_way = FAMILIES[env_id] == "two-way"
            result = measure(env_id, ids, judge, FAMILY_EXPLOITS[FAMILIES[env_id]], verdict=two_way)
            for exploit, (hit, control) in result["success"].items():
                rows.append((judge_name, env_id, result["n"], exploit, hit, control))
                if two_way and exploit in TWO_WAY:
                    acc = pooled.setdefault((judge_name, exploit), [0.0, 0.0, 0])
                    acc[0] += hit * result["n"]
                    acc[1] += control * result["n"]
                    acc[2] += result["n"]
            audits.append((judge_name, env_id, len(result["critiques"]), {"judged ok": result["judge_ok"],
                                                                          **result["audit"]}))
    print(f"{'judge':16} {'env':18} {'n':>4}  {'exploit':22} {'with critique':>13} {'empty (control)':>15}")
    for judge_name, env_id, n, exploit, hit, control in rows:
        print(f"{judge_name:16} {env_id:18} {n:4d}  {exploit:22} {hit:13.1%} {control:15.1%}")
    print("\n2-way questions pooled (MultiHopQA + WebWalker):")
    for (judge_name, exploit), (hit, control, n) in pooled.items():
        print(f"{judge_name:16} {exploit:22} n={n:<4d} {hit / n:7.1%} vs control {control / n:6.1%}")
    keys = list(audits[0][3]) if audits else []
    print("\nAudit: share of judgements that parsed, and of critiques carrying privileged data")
    print(f"{'judge':16} {'env':18} {'n':>4}  " + "  ".join(f"{k:>17}" for k in keys))
    for judge_name, env_id, n, found in audits:
        print(f"{judge_name:16} {env_id:18} {n:4d}  " + "  ".join(f"{found[k]:17.1%}" for k in keys))
    ours = {e: (h / n, c / n) for (j, e), (h, c, n) in pooled.items() if j == "reference"}
    best = max((h for h, _ in ours.values()), default=0.0)
    control = next(iter(ours.values()), (0.0, 0.0))[1]
    print(json.dumps({"benchmark": "critique_leak", "ours": round(best - control, 4), "baseline": round(control, 4),
                      "ratio": round(best / control, 4) if control else None,
                      "goal": "reference judge, 2-way questions: best exploit success - empty-critique control <= "
                              "0.05 and best exploit success <= 0.55",
                      "met": bool(ours) and best - control <= 0.05 and best <= 0.55}))


if __name__ == "__main__":
    main()
