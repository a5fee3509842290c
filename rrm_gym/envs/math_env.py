"""``rrm/Math-v0``: GSM8K/MATH-style problems with a sandboxed ``python`` tool; answers checked for equivalence.

Problems come from the seeded generator (:mod:`rrm_gym.tasks.math_gen`, default), from reasoning-gym
(``dataset="reasoning_gym"``), or from benchmark files (``dataset="gsm8k" | "math500" | "aime"`` with ``path=``; no
path loads the benchmark from the Hugging Face hub). The agent calls
``<tool_call>{"name": "python", "arguments": {"code": "print(2**10)"}}</tool_call>`` (or the terse
``python: print(2**10)``) and sees stdout/stderr, or what the sandbox stopped (:func:`rrm_gym.envs.sandbox.run_python`);
it answers with ``\\boxed{...}``. Reward is 1 when the answer is mathematically equivalent to the gold answer
(:func:`rrm_gym.tasks.math_equiv.math_equal`), else 0.

``judge_reference()`` holds ``answer``, ``solution`` / ``solution_steps`` (worked steps, where known),
``required_tools`` (``["python"]`` only for problems that need computation) and, for those, the computed answer as
``evidence`` (what the python output should have shown).

``info["valid_actions"]`` is generic (``python: print(0)`` and ``answer: 0``) unless ``choices=K``: then it lists
``K`` candidate ``\\boxed{}`` answers (the gold one and numeric distractors) for discrete learners.

The python tool sees only the Python runtime and its own temporary folder — not the benchmark file the env reads,
dataset caches, home folders, the host's ``/tmp``, the env process or any other (see ``docs/security.md``). Creating
the env checks that this holds here (:func:`rrm_gym.envs.sandbox.check_isolation`) and raises
:class:`~rrm_gym.envs.sandbox.SandboxUnavailableError` where it cannot, unless ``allow_unisolated_sandbox=True`` or
``RRM_GYM_ALLOW_UNISOLATED_SANDBOX=1``. It also makes the env process non-dumpable (so other processes of the same
user cannot read its memory or environment; debuggers and profilers such as py-spy cannot attach to it either;
``RRM_GYM_SANDBOX_KEEP_DUMPABLE=1`` skips that).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from fractions import Fraction
from typing import Any

from rrm_gym.envs.actions import Tool, ToolCall
from rrm_gym.envs.base import Task, TextEnv, ToolError
from rrm_gym.envs.sandbox import SandboxResult, check_isolation, run_python
from rrm_gym.tasks.math_equiv import math_equal, normalize_math_answer, parse_number
from rrm_gym.tasks.math_gen import FAMILIES, MathProblem, generate, sample_problem, split_of
from rrm_gym.tasks.math_loaders import RG_DATASETS, load_math_dataset, reasoning_gym_problem, sample_reasoning_gym

__all__ = ["MathEnv", "PYTHON_TOOL"]

PYTHON_TOOL = Tool(
    "python",
    "Run a Python 3 program (numpy and sympy available) in a sandbox and see its stdout/stderr. Each call is a "
    "fresh process with no network and limited time and memory: print what you need.",
    {"type": "object", "properties": {"code": {"type": "string", "description": "The Python program to run."}},
     "required": ["code"]},
    primary="code",
)
GENERIC_ACTIONS = ("python: print(0)", "answer: 0")
_TERSE_PYTHON = re.compile(r"\A\s*[`*]*python[`*]*\s*:[ \t]*(.*)\Z", re.IGNORECASE | re.DOTALL)


class MathEnv(TextEnv):
    """Math word problems and competition problems with a sandboxed python tool.

    Args:
        dataset: ``"generated"`` (default), ``"reasoning_gym"``, ``"gsm8k"``, ``"math500"``, ``"aime"``
            (``"aime24"``, ``"aime25"``).
        path: Benchmark file (JSONL/JSON/Parquet/CSV) for the file datasets; ``None`` loads from the HF hub.
        limit: Read at most this many rows of a benchmark.
        test_fraction: For benchmark files: ``None`` (default) serves every row in both splits (benchmarks are
            evaluation sets); a fraction splits rows by a stable hash of the question instead.
        families: Generator families to draw from (default all: see :data:`rrm_gym.tasks.math_gen.FAMILIES`).
        rg_datasets: reasoning-gym datasets for ``dataset="reasoning_gym"``.
        choices: ``0`` for generic ``valid_actions``; ``K > 1`` for ``K`` candidate answers.
        cpu_seconds: CPU limit of one python call.
        wall_seconds: Wall-clock limit of one python call.
        memory_mb: Memory limit of one python call.
        max_output_chars: Characters of tool output shown to the agent.
        render_mode: ``None`` or ``"ansi"``.
        split: Default split, ``"train"`` or ``"test"``.
        difficulty: Default tier, ``"easy"``, ``"medium"`` or ``"hard"``.
        allow_unisolated_sandbox: Run the python tool even where no isolation layer keeps agent code from reading
            host files and other processes (it could then read gold answers on disk and the trainer's secrets).
            ``None`` (default) reads ``RRM_GYM_ALLOW_UNISOLATED_SANDBOX`` (``"1"`` allows).

    Raises:
        SandboxUnavailableError: The sandbox cannot confine reads here and running unisolated was not allowed.

    Example:
        >>> import gymnasium as gym, rrm_gym
        >>> env = gym.make("rrm/Math-v0")
        >>> obs, info = env.reset(seed=0)
        >>> obs, reward, terminated, truncated, info = env.step("python: print(6 * 7)")
        >>> obs.splitlines()[0], info["python_exit_code"]
        ('42', 0)
    """

    def __init__(self, *, dataset: str = "generated", path: str | None = None, limit: int | None = None,
                 test_fraction: float | None = None, families: list[str] | tuple[str, ...] | None = None,
                 rg_datasets: tuple[str, ...] = RG_DATASETS, choices: int = 0, cpu_seconds: float = 5,
                 wall_seconds: float = 10, memory_mb: float = 512, max_output_chars: int = 4000,
                 render_mode: str | None = None, split: str = "train", difficulty: str | None = None,
                 allow_unisolated_sandbox: bool | None = None) -> None:
        super().__init__(render_mode=render_mode, split=split, difficulty=difficulty)
        check_isolation(allow_unisolated_sandbox)  # also makes this process non-dumpable
        self.dataset = str(dataset).lower()
        self.families = tuple(families) if families else tuple(sorted(FAMILIES))
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise ValueError(f"unknown math families {unknown}; choose from {sorted(FAMILIES)}")
        if test_fraction is not None and not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be None or in (0, 1), got {test_fraction!r}")
        if not isinstance(choices, int) or choices < 0:
            raise ValueError(f"choices must be a non-negative int, got {choices!r}")
        self.rg_datasets = tuple(rg_datasets)
        self.test_fraction = test_fraction
        self.choices = choices
        self.sandbox_limits = {"cpu_seconds": cpu_seconds, "wall_seconds": wall_seconds, "memory_mb": memory_mb,
                               "allow_unisolated": allow_unisolated_sandbox}
        self.max_output_chars = int(max_output_chars)
        self.problems: list[MathProblem] = []
        if self.dataset not in ("generated", "reasoning_gym"):
            self.problems = load_math_dataset(self.dataset, path, limit=limit)
            if not self.problems:
                raise ValueError(f"the {dataset} file {path} has no problems")
        self._by_id = {p.task_id: p for p in self.problems}
        self.problem: MathProblem | None = None
        self._actions: list[str] = list(GENERIC_ACTIONS)
        self._python_turn: tuple[int, SandboxResult] | None = None

    # ----------------------------------------------------------------- tasks
    def task_ids(self, split: str | None = None) -> list[str]:
        """Ids of the loaded benchmark problems (in file order), optionally of one split; ``[]`` for generators."""
        return [p.task_id for p in self.problems if split is None or self._split(p) == split]

    def _split(self, problem: MathProblem) -> str:
        if problem.source in ("generated", "reasoning_gym") or self.test_fraction is not None:
            return split_of(problem.question, self.test_fraction or 0.2)
        return "any"

    def _problem_for(self, options: dict[str, Any]) -> MathProblem:
        task_id = options.get("task_id")
        split, difficulty = options["split"], options.get("difficulty")
        if task_id is not None:
            if not isinstance(task_id, str):
                raise ValueError(f"options['task_id'] must be a str, got {type(task_id).__name__}")
            if task_id in self._by_id:
                return self._by_id[task_id]
            if task_id.startswith("gen-"):
                return generate(task_id)
            if task_id.startswith("rg-"):
                return reasoning_gym_problem(task_id)
            raise ValueError(f"unknown task_id {task_id!r} for dataset {self.dataset!r}")
        if self.dataset == "generated":
            return sample_problem(self.np_random, split=split, difficulty=difficulty, families=self.families)
        if self.dataset == "reasoning_gym":
            return sample_reasoning_gym(self.np_random, split=split, names=self.rg_datasets)
        pool = [p for p in self.problems if self._split(p) in (split, "any")
                and (difficulty is None or p.difficulty == difficulty)]
        if not pool:
            raise ValueError(f"no {self.dataset} problems for split={split!r}, difficulty={difficulty!r}")
        return pool[int(self.np_random.integers(0, len(pool)))]

    def _new_task(self, options: dict[str, Any]) -> Task:
        problem = self._problem_for(options)
        self.problem = problem
        split = self._split(problem)
        # ``evidence`` means "must appear in an observation" to the reference judge: for a problem that needs
        # computation that is the computed answer; worked steps never appear in observations, so they go elsewhere.
        reference = {"solution": "\n".join(problem.solution), "solution_steps": list(problem.solution),
                     "evidence": [problem.answer] if problem.needs_python else [],
                     "required_tools": ["python"] if problem.needs_python else [], "source": problem.source,
                     "answer_match": "math"}
        meta: dict[str, Any] = {"split": options["split"] if split == "any" else split, "source": problem.source,
                                "family": problem.family, **problem.meta}
        if problem.difficulty is not None:
            meta["difficulty"] = problem.difficulty
        return Task(problem.task_id, problem.question, (problem.answer,), reference, meta)

    def _start_task(self, task: Task) -> None:
        self._python_turn = None
        self._actions = self._candidate_actions(task) if self.choices > 1 else list(GENERIC_ACTIONS)

    def _candidate_actions(self, task: Task) -> list[str]:
        """``choices`` boxed answers: the gold one and distinct numeric distractors, in a per-task fixed order."""
        gold = task.answers[0]
        rng = random.Random(int.from_bytes(hashlib.sha256(task.task_id.encode()).digest()[:8], "big"))
        value = parse_number(normalize_math_answer(gold))
        candidates = [gold]
        if value is not None:
            offsets = [Fraction(d) for d in (1, -1, 2, -2, 10, -10, 5, -5)] + [value, -2 * value, value / 2 - value]
            for offset in offsets:
                text = _format(value + offset)
                if len(candidates) < self.choices and not any(math_equal(text, c) for c in candidates):
                    candidates.append(text)
        rng.shuffle(candidates)
        return [f"\\boxed{{{c}}}" for c in candidates] + ["python: print(0)"]

    # ----------------------------------------------------------------- tools and scoring
    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """As :meth:`TextEnv.step`; a terse ``python:`` line followed by more lines runs all of them as code."""
        rewritten = _multiline_python(action)
        if rewritten is None:
            return super().step(action)
        result = super().step(rewritten)
        self._history[-1] = (action, self._history[-1][1])  # keep what the agent wrote
        return result

    def _task_intro(self) -> str:
        assert self.task is not None
        return (f"Question: {self.task.question}\n\nSolve the problem. You may run Python with the python tool; "
                "give the final answer as \\boxed{ANSWER}.")

    def _tools(self) -> list[Tool]:
        return [PYTHON_TOOL]

    def _call_tool(self, call: ToolCall) -> str:
        code = _strip_fences(str(call.arguments.get("code", "")))
        if not code.strip():
            raise ToolError('the python tool needs code to run, e.g. python: print(2 + 2) or <tool_call>{"name": '
                            '"python", "arguments": {"code": "print(2 + 2)"}}</tool_call>')
        result = run_python(code, **self.sandbox_limits)
        self._python_turn = (len(self._history), result)
        return result.report(self.max_output_chars)

    def score_answer(self, answer: str) -> float:
        """1.0 when ``answer`` is mathematically equivalent to a gold answer, else 0.0."""
        assert self.task is not None
        return 1.0 if any(math_equal(answer, gold) for gold in self.task.answers) else 0.0

    def valid_actions(self) -> list[str]:
        """Generic actions (``python: print(0)``, ``answer: 0``), or candidate answers with ``choices=K``."""
        return list(self._actions)

    def _extra_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"source": self.problem.source if self.problem else None}
        if self._python_turn is not None and self._python_turn[0] == len(self._history) - 1:
            result = self._python_turn[1]
            info.update(python_exit_code=result.exit_code, python_killed_reason=result.killed_reason,
                        python_blocked=list(result.blocked))
        return info


def _format(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _multiline_python(action: object) -> str | None:
    """``python:`` + a multi-line program (often fenced) -> the equivalent ``<tool_call>``; else ``None``."""
    if not isinstance(action, str) or "<tool_call" in action or "\n" not in action.strip():
        return None
    match = _TERSE_PYTHON.match(action)
    if match is None:
        return None
    return "<tool_call>" + json.dumps({"name": "python", "arguments": {"code": match.group(1)}}) + "</tool_call>"


def _strip_fences(code: str) -> str:
    """Remove a surrounding Markdown code fence (```python ... ```), which small models often add."""
    text = code.strip()
    if text.startswith("```") and text.count("\n") >= 1:
        body = text.split("\n", 1)[1]
        return body[: body.rfind("```")] if body.rstrip().endswith("```") else body
    return code
