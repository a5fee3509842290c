"""``rrm/WebWalker-v0``: WebWalkerQA-style traversal of generated websites, fully offline.

The agent starts on the home page of a generated site (:mod:`rrm_gym.tasks.websites`), sees each page as markdown
with its buttons listed as ``[Button: Label]``, moves with ``click`` and ``back`` and answers in ``\\boxed{}``. The
outcome reward is 1 for a normalised exact match or token F1 >= 0.5 with the gold answer.
"""

from __future__ import annotations

import difflib
from typing import Any

from rrm_gym.envs.actions import Tool, ToolCall
from rrm_gym.envs.base import Task, TextEnv, ToolError
from rrm_gym.tasks.websites import SITE_KINDS, Site, build_site
from rrm_gym.tasks.webwalker_qa import DIFFICULTIES, WebTask, make_task, sample_task

__all__ = ["WebWalkerEnv", "CLICK", "BACK", "as_task", "format_page", "match_button", "unknown_button_message"]

CLICK = Tool(
    "click",
    "Click a button of the current page; the argument is the button label exactly as listed.",
    {"type": "object", "properties": {"button": {"type": "string"}}, "required": ["button"]},
    primary="button",
)
BACK = Tool("back", "Go back to the previous page.", {"type": "object", "properties": {}})
_LABEL_ECHO = 120


def as_task(web: WebTask) -> Task:
    """The env-layer :class:`~rrm_gym.envs.base.Task` of a tasks-layer :class:`WebTask`."""
    return Task(web.task_id, web.question, web.answers, dict(web.reference), dict(web.meta))


def _norm_label(text: str) -> str:
    text = " ".join(str(text).split()).strip().strip("\"'`").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    if text.lower().startswith("button:"):
        text = text[len("button:"):].strip()
    return text.casefold()


def match_button(label: str, labels: list[str]) -> str | None:
    """The button ``label`` names: exact, else ignoring case, spacing, quotes and a ``[Button: ...]`` wrapper.

    Example:
        >>> match_button("[Button: call for papers]", ["Program", "Call for Papers"])
        'Call for Papers'
    """
    if label in labels:
        return label
    wanted = _norm_label(label)
    hits = [b for b in labels if _norm_label(b) == wanted]
    return hits[0] if len(hits) == 1 else None


def unknown_button_message(label: str, labels: list[str], title: str) -> str:
    """Explain that ``label`` is not a button of the page, with close matches and the list of buttons."""
    shown = label if len(label) <= _LABEL_ECHO else label[:_LABEL_ECHO] + "..."
    msg = f"there is no button {shown!r} on the page {title!r}."
    close = difflib.get_close_matches(label, labels, n=3, cutoff=0.6) if len(label) <= 500 else []
    if close:
        msg += " Did you mean: " + ", ".join(repr(c) for c in close) + "?"
    if labels:
        msg += " Buttons here: " + ", ".join(f"[Button: {b}]" for b in labels) + "."
    else:
        msg += " This page has no buttons; use back to return."
    return msg


def format_page(title: str, url: str, markdown: str, labels: list[str], can_go_back: bool, note: str = "") -> str:
    """Render a page as the observation: location, markdown body and the buttons."""
    parts = [f"Current page: {title}\nURL: {url}"]
    if note:
        parts.append(note)
    parts.append(markdown.strip() or "(this page has no text)")
    if labels:
        parts.append("Buttons on this page:\n" + "\n".join(f"[Button: {b}]" for b in labels))
    else:
        parts.append("This page has no buttons.")
    parts.append("Use `click: <button label>`" + (", `back:`" if can_go_back else "") + " or answer with \\boxed{...}.")
    return "\n\n".join(parts)


class WebWalkerEnv(TextEnv):
    """Offline WebWalkerQA-style env over generated websites.

    Args:
        render_mode: ``None`` or ``"ansi"``.
        split: Default split, ``"train"`` or ``"test"`` (held-out sites).
        difficulty: Default tier, ``"easy"``, ``"medium"`` or ``"hard"`` (``None``: all tiers evenly).
        kinds: Restrict site kinds (default all: conference, university, company, game).

    Reset options: ``task_id`` (e.g. ``"ww-conference-1234-q2"``), ``split``, ``difficulty``. ``info`` adds
    ``page`` (current page title), ``url``, ``path`` and ``depth``.

    Example:
        >>> env = WebWalkerEnv()
        >>> obs, info = env.reset(seed=1)
        >>> obs, reward, terminated, truncated, info = env.step(info["valid_actions"][0])
        >>> info["depth"]
        1
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, *, render_mode: str | None = None, split: str = "train", difficulty: str | None = None,
                 kinds: tuple[str, ...] | list[str] | None = None) -> None:
        if difficulty is not None and difficulty not in DIFFICULTIES:
            raise ValueError(f"difficulty must be one of {DIFFICULTIES} or None, got {difficulty!r}")
        unknown = sorted(set(kinds or ()) - set(SITE_KINDS))
        if unknown:
            raise ValueError(f"unknown site kinds {unknown}; choose from {sorted(SITE_KINDS)}")
        super().__init__(render_mode=render_mode, split=split, difficulty=difficulty)
        self.kinds = tuple(kinds) if kinds else None
        self.site: Site | None = None
        self._stack: list[str] = []

    # ----------------------------------------------------------------- TextEnv hooks
    def _new_task(self, options: dict[str, Any]) -> Task:
        if options.get("task_id") is not None:
            return as_task(make_task(str(options["task_id"])))
        return as_task(sample_task(self.np_random, options["split"], options.get("difficulty"), self.kinds))

    def _start_task(self, task: Task) -> None:
        self.site = build_site(task.meta["kind"], task.meta["seed"])
        self._stack = [self.site.root]

    def _task_intro(self) -> str:
        assert self.task is not None and self.site is not None
        return (f"Question: {self.task.question}\n\nYou are browsing the website {self.site.name} "
                f"({self.site.url(self.site.root)}). Move between pages by clicking their buttons, go back with "
                "back, and give the final answer in \\boxed{...}.")

    def _tools(self) -> list[Tool]:
        return [CLICK, BACK]

    def _call_tool(self, call: ToolCall) -> str:
        assert self.site is not None
        page = self.site.pages[self._stack[-1]]
        labels = [label for label, _ in page.buttons]
        if call.name == "click":
            label = str(call.arguments.get("button", ""))
            found = match_button(label, labels)
            if found is None:
                raise ToolError(unknown_button_message(label, labels, page.title))
            self._stack.append(dict(page.buttons)[found])
            return f"You clicked [Button: {found}]."
        if len(self._stack) == 1:
            raise ToolError(f"you are on the start page {page.title!r}; there is no previous page to go back to. "
                            + ("Buttons here: " + ", ".join(f"[Button: {b}]" for b in labels) + "." if labels else ""))
        self._stack.pop()
        return f"You went back from {page.title!r}."

    def _state_text(self) -> str:
        assert self.site is not None
        page = self.site.pages[self._stack[-1]]
        return format_page(page.title, self.site.url(page.path), page.markdown(), [b for b, _ in page.buttons],
                           len(self._stack) > 1)

    def valid_actions(self) -> list[str]:
        """``click: <label>`` for each button of the current page, plus ``back:`` below the start page."""
        if self.site is None:
            return []
        page = self.site.pages[self._stack[-1]]
        return [f"click: {label}" for label, _ in page.buttons] + (["back:"] if len(self._stack) > 1 else [])

    def answer_actions(self) -> list[str]:
        """Candidate final answers for discrete learners: one per fact on the current page.

        Each is ``"<the fact's sentence> \\boxed{<value>}"``: the env scores the boxed value and the sentence tells
        an encoder what the answer is about. ``DiscreteActionWrapper`` offers them next to ``valid_actions``.
        """
        if self.site is None or self._done:
            return []
        page = self.site.pages[self._stack[-1]]
        return [f"{fact.sentence} \\boxed{{{fact.value}}}" for fact in page.facts]

    def compact_state(self) -> str:
        """``Page: <title>`` and the page's fact sentences (its buttons and answers are the candidate actions)."""
        if self.site is None:
            return ""
        page = self.site.pages[self._stack[-1]]
        facts = " ".join(f.sentence for f in page.facts)
        return f"Page: {page.title}" + (f"\n{facts}" if facts else "")

    def _extra_info(self) -> dict[str, Any]:
        if self.site is None:
            return {}
        page = self.site.pages[self._stack[-1]]
        return {"page": page.title, "url": self.site.url(page.path), "path": page.path, "depth": page.depth}
