"""The main job: train any agent on any env with C/R/U feedback, with a run directory that survives ``kill -9``.

:func:`run_training` is what ``rrm-gym train`` calls. It

1. creates (or, with ``resume``, reopens) the run directory and writes the resolved ``config.yaml``;
2. builds the judge with a persistent cache (``RUN_DIR/judge_cache.sqlite``) and the agent's :class:`Backend`;
3. evaluates on held-out tasks (``eval_before.json``), trains with a live progress bar, logging every iteration to
   ``metrics.jsonl`` + TensorBoard and sample episodes to ``samples.jsonl``, checkpointing atomically;
4. evaluates again (``eval_after.json``), draws ``learning_curve.png``, writes ``report.html`` and prints the
   before/after table.

Every agent plugs in through :class:`Backend` (one iteration = one learner update; save / load / evaluate).
Resuming restores the newest complete checkpoint and drops the ``metrics.jsonl`` / ``samples.jsonl`` lines of
iterations after it, so the files continue without duplicate or missing iterations.
"""

from __future__ import annotations

import abc
import importlib
import json
import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rrm_gym.agents.run.checkpoint import latest_checkpoint, save_checkpoint
from rrm_gym.agents.run.config import IDENTITY_FIELDS, TrainConfig
from rrm_gym.agents.run.episode_log import summarise_episodes
from rrm_gym.agents.run.judge_watch import FailureTap, JudgeWatch, judge_text
from rrm_gym.agents.run.preflight import check_run_env
from rrm_gym.agents.run.run_checks import check_settings

__all__ = ["Backend", "RunContext", "RunResult", "BACKENDS", "run_training", "prepare_run", "make_backend",
           "build_judge", "load_run_config"]

BACKENDS: dict[str, str] = {
    "ppo": "rrm_gym.agents.llm.backend:LLMBackend",
    "grpo": "rrm_gym.agents.llm.backend:LLMBackend",
    "sb3": "rrm_gym.agents.bridges.sb3.backend:SB3Backend",
    "trl": "rrm_gym.agents.bridges.trl.backend:TRLBackend",
}
"""Agent name -> ``module:Class`` of its :class:`Backend` (imported only when used)."""

_SAMPLES_PER_ITERATION = 3
_LIVE_KEYS = ("reward_env_mean", "reward_shaped_mean", "judge_score_mean", "success_rate")
_RESEED_STRIDE = 1009


@dataclass
class RunContext:
    """What a backend is built from.

    Attributes:
        config: The resolved run configuration.
        run_dir: The run directory (backends may keep scratch files under it).
        judge: The judge callable (``None`` when ``feedback="none"``).
    """

    config: TrainConfig
    run_dir: Path
    judge: Any = None


class Backend(abc.ABC):
    """The uniform interface of every agent: one learner update per :meth:`iteration`, save / load / evaluate."""

    @abc.abstractmethod
    def iteration(self) -> dict[str, float]:
        """Collect experience and update the learner once; return the learner's own statistics."""

    @property
    @abc.abstractmethod
    def env_steps(self) -> int:
        """Env steps taken by this backend since it was built."""

    def pop_episodes(self) -> list[dict[str, Any]]:
        """Episodes finished since the last call (:class:`~rrm_gym.agents.run.episode_log.EpisodeTracker` format)."""
        return []

    def episode_summary(self, stats: Mapping[str, float]) -> dict[str, float] | None:
        """Episode metrics from the learner's stats, for backends that record no episodes themselves."""
        return None

    @abc.abstractmethod
    def save(self, folder: Path) -> None:
        """Write everything needed to continue training into ``folder`` (it exists and is empty)."""

    @abc.abstractmethod
    def load(self, folder: Path) -> None:
        """Restore what :meth:`save` wrote."""

    @abc.abstractmethod
    def evaluate(self, episodes: int, split: str, seed: int, progress: bool) -> dict[str, Any]:
        """Success rate on ``episodes`` tasks of ``split`` without feedback (``EvalResult.to_dict()``)."""

    def reseed(self, seed: int) -> None:  # noqa: B027 - optional hook
        """Start fresh episodes from ``seed`` (called after a resume so tasks do not repeat)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release envs and threads."""


@dataclass
class RunResult:
    """What :func:`run_training` returns.

    Attributes:
        run_dir: The run directory.
        iterations: Iterations completed (including those before a resume).
        env_steps: Env steps taken in total.
        eval_before: Held-out evaluation before training (``None`` when skipped).
        eval_after: Held-out evaluation after training (``None`` when skipped).
        wall_s: Wall time of this invocation.
        resumed_from: Iteration of the checkpoint this invocation resumed from.
    """

    run_dir: Path
    iterations: int
    env_steps: int
    eval_before: dict[str, Any] | None = None
    eval_after: dict[str, Any] | None = None
    wall_s: float = 0.0
    resumed_from: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)


# ---------------------------------------------------------------------- building blocks
def make_backend(ctx: RunContext) -> Backend:
    """Import and build the backend of ``ctx.config.agent``."""
    module, _, name = BACKENDS[ctx.config.agent].partition(":")
    return getattr(importlib.import_module(module), name)(ctx)


def build_judge(config: TrainConfig, run_dir: Path) -> Any:
    """The run's judge: ``rrm_gym.judges.make(judge, cache=RUN_DIR/judge_cache.sqlite, **judge_opts)``."""
    if config.feedback == "none":
        return None
    from rrm_gym.judges import make

    cache = run_dir / "judge_cache.sqlite" if config.judge_cache else None
    return make(config.judge, cache=cache, **config.judge_opts)


def load_run_config(run_dir: str | Path, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """The config of an existing run with ``overrides`` applied; changing an identity field raises ``ValueError``."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory (no config.yaml)")
    saved = TrainConfig.load(path)
    data = saved.to_dict()
    for key, value in (overrides or {}).items():
        key = key.replace("-", "_")
        if key in IDENTITY_FIELDS and value != data.get(key):
            raise ValueError(f"cannot change {key} when resuming ({data.get(key)!r} -> {value!r}); "
                             "start a new run instead")
        data[key] = value
    data["out"] = str(Path(run_dir))
    return TrainConfig.from_dict(data)


def prepare_run(config: TrainConfig, resume: str | Path | None = None) -> Path:
    """Create the run directory (or check the one to resume) and write the resolved ``config.yaml``."""
    if resume is not None:
        run_dir = Path(resume)
        if not (run_dir / "config.yaml").is_file():
            raise FileNotFoundError(f"cannot resume {run_dir}: no config.yaml there")
    else:
        run_dir = Path(config.out) if config.out else Path("runs") / config.default_run_name(
            datetime.now().strftime("%Y%m%d-%H%M%S"))
        if (run_dir / "config.yaml").exists():
            raise FileExistsError(f"{run_dir} already holds a run; continue it with --resume {run_dir} "
                                  "or choose another --out")
        run_dir.mkdir(parents=True, exist_ok=True)
        config.agent_opts = config.agent_opts_resolved()
    config.out = str(run_dir)
    config.save(run_dir / "config.yaml")
    return run_dir


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    from rrm_gym.report.metrics import json_safe

    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(json_safe(dict(data)), indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _pick_samples(episodes: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    wins = [e for e in episodes if e.get("success")]
    fails = [e for e in episodes if not e.get("success")]
    out: list[dict[str, Any]] = []
    while len(out) < k and (wins or fails):
        for bucket in (wins, fails):
            if bucket and len(out) < k:
                out.append(bucket.pop(0))
    return out


def _cpu_s() -> float:
    """CPU seconds of this process (user + system, all threads); 0 where ``resource`` is missing."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fmt(value: Any, pct: bool = False) -> str:
    if not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:.0f}%" if pct else f"{value:.2f}"


class _Totals:
    KEYS = ("episodes_total", "judge_calls_total", "judge_cache_hits_total", "judge_failures_total")

    def __init__(self, state: Mapping[str, Any] | None = None) -> None:
        self.values = {k: int((state or {}).get(k, 0)) for k in self.KEYS}

    def add(self, row: Mapping[str, Any]) -> None:
        for total, key in zip(self.KEYS, ("episodes", "judged_attempts", "judge_cache_hits", "judge_failures"),
                              strict=True):
            value = row.get(key)
            if isinstance(value, (int, float)) and not math.isnan(value):
                self.values[total] += int(value)


# ---------------------------------------------------------------------- the job
def run_training(config: TrainConfig, *, resume: str | Path | None = None, console: Any = None) -> RunResult:
    """Run (or resume) one training job end to end; see the module docstring.

    Args:
        config: The resolved configuration (for a resume, :func:`load_run_config` of the run directory).
        resume: The run directory to continue from its newest complete checkpoint.
        console: A ``rich.console.Console`` for progress and summary (default: a new one).

    Returns:
        A :class:`RunResult`.
    """
    from rich.console import Console

    from rrm_gym.report import JsonlLog, MetricsLogger, plot_learning_curve, print_run_summary, write_report

    console = console or Console()
    start = time.perf_counter()
    for warning in check_settings(config):  # before any model is loaded or any file is written
        console.print(f"[yellow]Warning:[/] {warning}")
    check_run_env(config)  # the env can do what the run asks (text spaces, task replay for C/U, candidates)
    undo = _Undo(config, resume)
    run_dir = prepare_run(config, resume)
    ck = latest_checkpoint(run_dir) if resume is not None else None
    start_iter = ck.iteration if ck else 0
    state = dict((ck.meta.get("runner") or {}) if ck else {})
    metrics = MetricsLogger(run_dir, tensorboard=config.tensorboard, purge_step=start_iter + 1)
    try:
        samples = JsonlLog(run_dir / "samples.jsonl")
        samples.path.touch()
        metrics.truncate_after(start_iter)
        samples.truncate_after(start_iter)
        judge = build_judge(config, run_dir)
        tap = FailureTap(judge) if judge is not None else None
        backend = make_backend(RunContext(config, run_dir, tap))
    except BaseException:  # a run that never started leaves nothing behind
        metrics.close()
        undo(run_dir)
        raise
    watch = JudgeWatch(tap, config.on_error)
    try:
        if ck is not None:
            backend.load(ck.path / "learner")
            backend.reseed(config.seed + _RESEED_STRIDE * start_iter)
            console.print(f"[bold]Resuming[/] {run_dir} from iteration {start_iter} ({ck.meta.get('env_steps', 0)} "
                          "env steps)")
        before = _read_json(run_dir / "eval_before.json") if resume is not None else None
        if before is None and config.eval_before and config.eval_episodes > 0:
            console.print(f"[bold]Held-out evaluation before training[/] ({config.eval_episodes} episodes)")
            before = backend.evaluate(config.eval_episodes, config.eval_split, config.seed, config.progress)
            _write_json(run_dir / "eval_before.json", before)
        iteration, env_steps = _train_loop(config, run_dir, backend, metrics, samples, start_iter, state, console,
                                           watch)
        after = None
        if config.eval_episodes > 0:
            console.print(f"[bold]Held-out evaluation after training[/] ({config.eval_episodes} episodes)")
            after = backend.evaluate(config.eval_episodes, config.eval_split, config.seed, config.progress)
            _write_json(run_dir / "eval_after.json", after)
    finally:
        backend.close()
        metrics.close()
    rows = metrics.rows()
    title = f"{config.env} · {config.feedback} · {config.agent}"
    plot_learning_curve(rows, run_dir / "learning_curve.png", before, after, title=title)
    write_report(run_dir / "report.html", config.to_dict(), rows, samples.rows(), before, after,
                 run_dir / "learning_curve.png", title=f"rrm-gym run: {title}")
    wall = time.perf_counter() - start
    print_run_summary(console, run_dir, rows, before, after, wall)
    return RunResult(run_dir, iteration, env_steps, before, after, wall, start_iter if ck else None, rows)


class _Undo:
    """Removes what a new run created when it fails before training starts (a resumed run is left as it was)."""

    def __init__(self, config: TrainConfig, resume: str | Path | None) -> None:
        target = Path(config.out) if config.out else None
        self.active = resume is None
        self.before = set(os.listdir(target)) if self.active and target is not None and target.is_dir() else None

    def __call__(self, run_dir: Path) -> None:
        if not self.active:
            return
        if self.before is None:
            shutil.rmtree(run_dir, ignore_errors=True)
            return
        for name in set(os.listdir(run_dir)) - self.before:  # an existing folder keeps what it held
            path = run_dir / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _train_loop(config: TrainConfig, run_dir: Path, backend: Backend, metrics: Any, samples: Any, start_iter: int,
                state: dict[str, Any], console: Any, watch: JudgeWatch | None = None) -> tuple[int, int]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    max_iter, max_steps = config.budget()
    iteration = start_iter
    steps_base = int(state.get("env_steps", 0))
    env_steps = steps_base
    totals = _Totals(state)
    latest: dict[str, float] = {}
    elapsed_before = float(state.get("train_s", 0.0))
    cpu_before = float(state.get("cpu_s", 0.0))
    t0, c0 = time.perf_counter(), _cpu_s()

    def done() -> bool:
        return (max_iter is not None and iteration >= max_iter) or (max_steps is not None and env_steps >= max_steps)

    total, unit = (max_iter, "it") if max_iter is not None else (max_steps, "steps")
    columns = [TextColumn("[bold]train[/]"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
               TimeElapsedColumn(), TextColumn("{task.fields[live]}")]
    with Progress(*columns, console=console, disable=not config.progress) as bar:
        task = bar.add_task("train", total=total, completed=iteration if unit == "it" else env_steps,
                            live="reward – success –")
        while not done():
            it_start = time.perf_counter()
            stats = backend.iteration()
            episodes = backend.pop_episodes()
            iteration += 1
            env_steps = steps_base + backend.env_steps
            summary = backend.episode_summary(stats)
            row: dict[str, Any] = summarise_episodes(episodes) if (episodes or summary is None) else dict(summary)
            totals.add(row)
            row.update(env_steps=env_steps, iter_time_s=time.perf_counter() - it_start,
                       time_s=elapsed_before + time.perf_counter() - t0, cpu_s=cpu_before + _cpu_s() - c0,
                       **totals.values)
            row.update({f"learner/{k}": v for k, v in stats.items() if isinstance(v, (int, float))
                        and k not in ("iteration", "env_steps", "episodes")})
            metrics.log(iteration, row)
            for warning in (watch.update({**row, "iteration": iteration}, episodes) if watch else ()):
                console.print(f"[yellow]Warning:[/] {warning}")
            for ep in _pick_samples(episodes, _SAMPLES_PER_ITERATION):
                samples.append({"iteration": iteration, **ep})
            for key in _LIVE_KEYS:  # keep the latest value: an iteration may finish no episode
                if isinstance(row.get(key), (int, float)) and not math.isnan(row[key]):
                    latest[key] = row[key]
            judged = judge_text(latest.get("judge_score_mean"), totals.values["judge_failures_total"],
                                totals.values["judge_calls_total"])
            live = (f"env reward {_fmt(latest.get('reward_env_mean'))} · shaped "
                    f"{_fmt(latest.get('reward_shaped_mean'))} · judge {judged} · "
                    f"success {_fmt(latest.get('success_rate'), True)}")
            bar.update(task, completed=iteration if unit == "it" else env_steps, live=live)
            if iteration % config.checkpoint_every == 0 or done():
                runner_state = {"env_steps": env_steps, "train_s": row["time_s"], "cpu_s": row["cpu_s"],
                                **totals.values}
                save_checkpoint(run_dir, iteration, lambda folder: _save_learner(backend, folder),
                                {"env_steps": env_steps, "runner": runner_state, "agent": config.agent},
                                keep=config.keep_checkpoints)
    return iteration, env_steps


def _save_learner(backend: Backend, folder: Path) -> None:
    target = folder / "learner"
    target.mkdir()
    backend.save(target)
