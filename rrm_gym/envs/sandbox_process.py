"""Process plumbing of :func:`rrm_gym.envs.sandbox.run_python`: limits, the watchdog loop and the status pipe.

Host side only. :func:`make_preexec` sets the resource limits between ``fork`` and ``exec``; :func:`collect` reads
stdout, stderr and the child's status pipe with a wall-clock deadline and an output cap; :func:`parse_status`
reads what the child reported (layers in force, refusals, exit status); :func:`classify` names why it ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import signal
import subprocess
import time

__all__ = ["OUTPUT_KILL_FACTOR", "classify", "collect", "decode", "kill_group", "make_preexec", "parse_status",
           "reap", "user_thread_count"]

OUTPUT_KILL_FACTOR = 4  # a program that writes more than this many times the cap is stopped
_CHUNK = 65_536


def user_thread_count(uid: int) -> int:
    """Threads currently owned by ``uid`` (what ``RLIMIT_NPROC`` counts); 0 if ``/proc`` cannot be read."""
    count = 0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields["Threads"])
        except (OSError, KeyError, ValueError):
            continue
    return count


def make_preexec(cpu: float, memory_mb: float, nproc: int, fsize: int, nofile: int):  # noqa: ANN201
    """The ``preexec_fn`` that sets the sandbox's resource limits (only async-safe, pre-computed work)."""
    cpu_soft = max(1, int(cpu + 0.999))
    limits = [
        (resource.RLIMIT_CPU, (cpu_soft, cpu_soft + 1)),
        (resource.RLIMIT_AS, (int(memory_mb * 2**20),) * 2),
        (resource.RLIMIT_FSIZE, (fsize, fsize)),
        (resource.RLIMIT_NOFILE, (nofile, nofile)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
    ]

    def preexec() -> None:  # runs in the child between fork and exec: only async-safe, pre-computed work
        for which, value in limits:
            resource.setrlimit(which, value)

    return preexec


def reap(proc: subprocess.Popen, reaped: dict[str, float], *, block: bool = False) -> bool:
    """Wait for the main process with ``wait4`` (to learn its CPU time); return whether it has exited."""
    if "status" in reaped:
        return True
    try:
        pid, status, usage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:  # already reaped elsewhere
        reaped["status"] = 1
        return True
    if pid == 0:
        return False
    proc.returncode = os.waitstatus_to_exitcode(status)
    reaped["status"] = 1
    reaped["cpu"] = usage.ru_utime + usage.ru_stime
    return True


def collect(proc: subprocess.Popen, status_fd: int, deadline: float, cap: int,
             reaped: dict[str, float]) -> tuple[dict[int, bytearray], str | None]:
    """Read stdout, stderr and the status pipe until EOF, the deadline, or too much output."""
    streams = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray(),  # type: ignore[union-attr]
               status_fd: bytearray()}
    totals = dict.fromkeys(streams, 0)
    sel = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    open_fds = set(streams)
    reason: str | None = None
    try:
        while open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = "wall_timeout"
                break
            for key, _ in sel.select(timeout=min(remaining, 0.1)):
                fd = key.fd
                try:
                    chunk = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    open_fds.discard(fd)
                    continue
                totals[fd] += len(chunk)
                limit = cap if fd != status_fd else 65_536
                if len(streams[fd]) < limit + 4:
                    streams[fd] += chunk[: limit + 4 - len(streams[fd])]
                if totals[fd] > limit * OUTPUT_KILL_FACTOR:
                    return streams, "output_limit"
            if open_fds and reap(proc, reaped):
                kill_group(proc.pid)  # the main program ended: background processes go with it
        while reason is None and not reap(proc, reaped):
            if time.monotonic() >= deadline:
                reason = "wall_timeout"
            time.sleep(0.01)
    finally:
        sel.close()
    return streams, reason


def kill_group(pgid: int) -> None:
    """``SIGKILL`` the whole process group ``pgid`` (gone already is fine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def decode(data: bytearray, cap: int) -> tuple[str, bool]:
    """UTF-8 text of the first ``cap`` bytes (undecodable bytes replaced) and whether there was more."""
    text = bytes(data[:cap]).decode("utf-8", "replace")
    return text, len(data) > cap


def parse_status(text: str) -> dict[str, list[str] | bool | int | None]:
    """Read the child's status lines into ``blocked``, ``isolation``, ``notes``, ``refused`` and ``exit``.

    Only the first ``isolation`` line counts: the child writes it before any agent code runs, so agent code cannot
    forge the layers or a refusal.
    """
    blocked: list[str] = []
    status: dict[str, list[str] | bool | int | None] = {"blocked": blocked, "isolation": [], "notes": [],
                                                         "refused": False, "exit": None}
    seen = False
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("blocked"), str) and item["blocked"] not in blocked:
            blocked.append(item["blocked"])
        elif isinstance(item.get("isolation"), list) and not seen:
            seen = True
            status["isolation"] = [str(x) for x in item["isolation"]]
            status["notes"] = [str(x) for x in item.get("notes", [])]
            status["refused"] = item.get("refused") is True
        elif isinstance(item.get("exit"), int) and seen:
            status["exit"] = item["exit"]
    return status


def classify(exit_code: int | None, stderr: str, cpu_used: float, cpu_limit: float) -> str | None:
    """Why the program ended: ``None`` (normally), ``"cpu_limit"``, ``"file_size_limit"``, ``"signal NAME"``, ..."""
    if exit_code is None or exit_code == 0:
        return None
    if exit_code == -signal.SIGXCPU or (exit_code == -signal.SIGKILL and cpu_used >= int(cpu_limit + 0.999)):
        return "cpu_limit"
    if exit_code == -signal.SIGXFSZ:
        return "file_size_limit"
    if exit_code < 0:
        return f"signal {signal.Signals(-exit_code).name}" if -exit_code in signal.valid_signals() else "signal"
    if "MemoryError" in stderr[-2000:]:
        return "memory_limit"
    return None
