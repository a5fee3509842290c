"""A tiny TextEnv for the agent tests: look up a word, answer it in \\boxed{}. Gold path: ``look: KEY``, answer."""

from __future__ import annotations

from typing import Any

from rrm_gym.envs.actions import Tool, ToolCall
from rrm_gym.envs.base import Task, TextEnv, ToolError

WORDS = ["apple", "river", "stone", "cloud", "amber", "maple", "ocean", "tiger", "lemon", "piano"]


def tiny_tasks(split: str) -> list[Task]:
    """Five train tasks and five test tasks."""
    offset = 0 if split == "train" else 5
    return [
        Task(f"{split}-{i}", f"What is the secret word of box {chr(65 + i)}?", (WORDS[(i + offset) % 10],),
             reference={"gold_path": [f"look: {chr(65 + i)}"]}, meta={"split": split})
        for i in range(5)
    ]


class TinyEnv(TextEnv):
    """One tool ``look(box)``; the answer is the word in the box named by the question."""

    def __init__(self, max_steps: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_steps = max_steps
        self._steps = 0

    def _new_task(self, options: dict[str, Any]) -> Task:
        tasks = tiny_tasks(options["split"])
        if options.get("task_id"):
            return next(t for t in tasks if t.task_id == options["task_id"])
        return tasks[int(self.np_random.integers(len(tasks)))]

    def _start_task(self, task: Task) -> None:
        self._steps = 0

    def _tools(self) -> list[Tool]:
        schema = {"type": "object", "properties": {"box": {"type": "string"}}, "required": ["box"]}
        return [Tool("look", "Look into a box (A-E).", schema, primary="box")]

    def _call_tool(self, call: ToolCall) -> str:
        box = str(call.arguments["box"]).strip().upper()[:1]
        tasks = tiny_tasks(self.task.meta["split"])
        idx = ord(box) - 65 if box else -1
        if not 0 <= idx < len(tasks):
            raise ToolError(f"no box {call.arguments['box']!r}; boxes are A-E")
        return f"Box {box} holds the word: {tasks[idx].answers[0]}"

    def step(self, action: str):  # noqa: D102 - a step cap so random agents finish
        obs, reward, terminated, truncated, info = super().step(action)
        self._steps += 1
        if not terminated and self._steps >= self.max_steps:
            truncated = True
        return obs, reward, terminated, truncated, info


def oracle_action(conversation: list[dict[str, str]]) -> str:
    """The gold path: look into the box named in the question, then answer with the word seen."""
    last = conversation[-1]["content"]
    if "holds the word:" in last:
        return "\\boxed{" + last.rsplit(":", 1)[1].strip() + "}"
    first = next(m["content"] for m in conversation if m["role"] == "user")
    box = first.split("box ", 1)[1][0]
    return f"look: {box}"


class ChoiceTinyEnv(TinyEnv):
    """:class:`TinyEnv` that offers candidate actions: the five looks, then the word last seen as an answer."""

    def _start_task(self, task: Task) -> None:
        super()._start_task(task)
        self._seen: str | None = None

    def _call_tool(self, call: ToolCall) -> str:
        obs = super()._call_tool(call)
        self._seen = obs.rsplit(":", 1)[1].strip()
        return obs

    def valid_actions(self) -> list[str]:  # noqa: D102
        return [f"look: {chr(65 + i)}" for i in range(5)]

    def answer_actions(self) -> list[str]:  # noqa: D102
        return [f"\\boxed{{{self._seen}}}"] if self._seen else []
