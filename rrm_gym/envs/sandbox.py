"""A sandbox for agent code: :func:`run_python` runs a Python snippet in a separate, limited, isolated process.

Any env with code execution can use it (``rrm/Math-v0`` does). Agent code sees only the Python runtime it needs
(read-only) and its own temporary folder: no host files (``/tmp``, home folders, dataset caches, the project), no
other process (``/proc`` of the env process or any other), no inherited environment, no network. Layers, outermost
first (``docs/security.md`` has the threat model):

1. **Process** — a new ``python -I -B -S`` process in its own session (so the whole process group can be killed),
   with a minimal environment, stdin closed, and a fresh working directory that is deleted afterwards. The env
   process itself is made non-dumpable (:func:`rrm_gym.envs.sandbox_fs.make_non_dumpable`) on first use.
2. **Resource limits** (``setrlimit`` in ``preexec_fn``) — CPU seconds, address space (memory), file size, open
   files, processes (``RLIMIT_NPROC``; the kernel does not apply it to root, hence the layers below) and no core dumps.
3. **Host-side watchdog** — a wall-clock deadline, then ``SIGKILL`` to the process group; output is read
   incrementally and capped (nothing beyond a small multiple of the cap is ever held in memory); when the main
   process ends, leftover background processes are killed.
4. **Filesystem and process view** — bubblewrap when ``bwrap`` works here (:func:`rrm_gym.envs.sandbox_fs.
   bwrap_command`: new user/mount/PID/network/IPC/UTS namespaces, only the runtime bound read-only, a private
   working directory, fresh ``/tmp`` and ``/proc``, ``--clearenv``); otherwise the child's own namespace jail with
   the same view (``sandbox_kernel.py``), where the kernel allows user namespaces (or as root); and Landlock on top
   where the kernel has it (alone it still confines reads and hides ``/proc``).
5. **Kernel layers in the child** — capabilities dropped, ``no_new_privs`` + a seccomp filter (no ``execve``, no
   non-UNIX sockets, no ``setsid``, no ``fork`` unless ``max_processes > 1``).
6. **Audit hook** (PEP 578) in the child — refuses writes outside the directory, sockets, program starts, forks beyond
   the limit, signals to foreign processes and raw-memory ``ctypes`` calls, with a clear ``PermissionError``.

The child checks what really holds before running any code (a file planted next to the program and the
``rrm_gym`` package must be unreadable; ``/proc`` must be its own) and reports it in
:attr:`SandboxResult.isolation`. Where no layer confines reads, :func:`run_python` raises
:class:`SandboxUnavailableError` instead of running the code, unless the caller opts out with
``allow_unisolated=True`` or ``RRM_GYM_ALLOW_UNISOLATED_SANDBOX=1``. Everything that was refused or killed is
reported in :class:`SandboxResult` (``killed_reason``, ``blocked``) and in :meth:`SandboxResult.report`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rrm_gym.envs import sandbox_fs as fs
from rrm_gym.envs.sandbox_process import (
    OUTPUT_KILL_FACTOR,
    classify,
    collect,
    decode,
    kill_group,
    make_preexec,
    parse_status,
    reap,
    user_thread_count,
)

__all__ = ["SandboxResult", "SandboxUnavailableError", "run_python", "check_isolation", "confined",
           "ISOLATION_BACKENDS", "CHILD_SCRIPT"]

CHILD_SCRIPT = Path(__file__).with_name("sandbox_child.py")
KERNEL_SCRIPT = Path(__file__).with_name("sandbox_kernel.py")
ISOLATION_BACKENDS = ("bubblewrap", "namespaces", "landlock")
ALLOW_ENV = "RRM_GYM_ALLOW_UNISOLATED_SANDBOX"
_state: dict[str, object] = {}  # "bwrap_broken": why bwrap failed here; "probe": layers of a default run
_state_lock = threading.Lock()
EXPOSED = ("every file this process can read (home folders, the host's /tmp, dataset and Hugging Face caches with "
           "gold answers, the project checkout) and, when it runs as the same user, /proc of other processes")


class SandboxUnavailableError(RuntimeError):
    """No isolation layer that confines reads is available, and running unisolated was not allowed."""


def confined(isolation: Sequence[str]) -> bool:
    """Whether the layers named in ``isolation`` keep agent code from reading host files and other processes."""
    return "host files hidden" in isolation and ("private /proc" in isolation or "no /proc access" in isolation)


def _allowed(allow_unisolated: bool | None) -> bool:
    return bool(allow_unisolated) if allow_unisolated is not None else os.environ.get(ALLOW_ENV) == "1"


def _refusal(isolation: Sequence[str], notes: Sequence[str]) -> SandboxUnavailableError:
    why = "; ".join(notes) or "no layer that hides host files and other processes could be applied"
    return SandboxUnavailableError(
        f"the python sandbox refuses to run agent code: no isolation layer confines reads here ({why}; layers in "
        f"force: {', '.join(isolation) or 'none'}). Unisolated, agent code could read {EXPOSED}. Install "
        f"bubblewrap (apt-get install bubblewrap; scripts/setup.sh does it), or opt out explicitly with "
        f"run_python(..., allow_unisolated=True), MathEnv(allow_unisolated_sandbox=True) or {ALLOW_ENV}=1.")


def check_isolation(allow_unisolated: bool | None = None) -> tuple[str, ...]:
    """Probe (once per process) what a default :func:`run_python` call gets here; raise if reads are not confined.

    Args:
        allow_unisolated: Accept a sandbox that does not confine reads; ``None`` reads the environment variable
            ``RRM_GYM_ALLOW_UNISOLATED_SANDBOX`` (``"1"`` allows).

    Returns:
        The layers in force (as in :attr:`SandboxResult.isolation`).

    Raises:
        SandboxUnavailableError: Reads are not confined and running unisolated was not allowed.

    Example:
        >>> layers = check_isolation(allow_unisolated=True)
        >>> confined(layers) == ("host files hidden" in layers and any("/proc" in x for x in layers))
        True
    """
    fs.make_non_dumpable()
    with _state_lock:
        if "probe" not in _state:
            result = run_python("pass", allow_unisolated=True, site_packages=False)
            _state["probe"] = (result.isolation, result.notes)
    isolation, notes = _state["probe"]  # type: ignore[misc]
    if not confined(isolation) and not _allowed(allow_unisolated):
        raise _refusal(isolation, notes)
    return isolation


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one sandboxed run.

    Attributes:
        stdout: Standard output (UTF-8, undecodable bytes replaced), cut at ``max_output_bytes``.
        stderr: Standard error, cut the same way.
        exit_code: The process's exit status; negative for a signal (``-9`` = killed); ``None`` if it never started.
            (Under bubblewrap a signal arrives as ``128 + n``; it is mapped back to ``-n`` unless the program
            itself reported that exit status.)
        timed_out: Whether the wall-clock limit was hit.
        killed_reason: ``None`` for a normal exit, else ``"wall_timeout"``, ``"cpu_limit"``, ``"memory_limit"``,
            ``"output_limit"``, ``"file_size_limit"`` or ``"signal <NAME>"``.
        stdout_truncated: Whether stdout was cut.
        stderr_truncated: Whether stderr was cut.
        blocked: Actions the sandbox refused (e.g. ``"writing outside the sandbox directory: '/tmp/x'"``).
        isolation: The isolation layers that were in force, as checked inside the sandbox (e.g. ``"bubblewrap"``,
            ``"namespaces(user,mnt,pid,net,ipc,uts)"``, ``"host files hidden"``, ``"private /proc"``,
            ``"landlock(abi 7)"``, ``"seccomp"``, ``"audit hook"``); see :func:`confined`.
        duration_s: Wall-clock seconds of the run.
        limits: The limits it ran under (used by :meth:`report`).
        notes: Why a wanted isolation layer could not be applied (e.g. ``"bubblewrap: not on PATH"``).

    Example:
        >>> r = run_python("print(6 * 7)")
        >>> (r.stdout, r.exit_code, r.ok)
        ('42\\n', 0, True)
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool = False
    killed_reason: str | None = None
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    blocked: tuple[str, ...] = ()
    isolation: tuple[str, ...] = ()
    duration_s: float = 0.0
    limits: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the code ran to completion with exit status 0 and nothing was killed."""
        return self.exit_code == 0 and self.killed_reason is None

    def report(self, max_chars: int = 4000) -> str:
        """A readable account for an agent: output, errors, exit status and anything the sandbox stopped."""
        half = max(200, max_chars // 2)
        parts = []
        if self.stdout:
            parts.append(_clip(self.stdout, half, self.stdout_truncated))
        if self.stderr:
            parts.append("stderr:\n" + _clip(self.stderr, half, self.stderr_truncated))
        if not parts:
            parts.append("(no output)")
        if self.killed_reason is not None:
            why = _REASONS.get(self.killed_reason, self.killed_reason).format(**self.limits)
            parts.append(f"[sandbox] stopped: {why}")
        for item in self.blocked:
            parts.append(f"[sandbox] blocked: {item}")
        parts.append(f"[exit code {self.exit_code}]")
        return "\n".join(parts)


_REASONS = {
    "wall_timeout": "wall-clock limit of {wall_seconds:g} s exceeded; the process group was killed",
    "cpu_limit": "CPU time limit of {cpu_seconds:g} s exceeded",
    "memory_limit": "memory limit of {memory_mb:g} MB exceeded",
    "output_limit": "output limit exceeded (more than {output_kill_bytes:g} bytes written); the process was killed",
    "file_size_limit": "file size limit of {max_file_bytes:g} bytes exceeded",
}


def _clip(text: str, limit: int, truncated: bool) -> str:
    if len(text) > limit:
        text, truncated = text[:limit], True
    return text + ("\n[... output truncated ...]" if truncated else "")


def run_python(
    code: str,
    *,
    cpu_seconds: float = 5,
    wall_seconds: float = 10,
    memory_mb: float = 512,
    max_processes: int = 1,
    max_output_bytes: int = 20_000,
    max_file_bytes: int = 16 * 2**20,
    max_open_files: int = 64,
    disk_mb: float = 64,
    site_packages: bool = True,
    kernel_isolation: bool = True,
    audit_hook: bool = True,
    isolation: Sequence[str] = ISOLATION_BACKENDS,
    allow_unisolated: bool | None = None,
) -> SandboxResult:
    """Run ``code`` as a Python program in the sandbox and return what happened; never raises for bad code.

    Args:
        code: Python source (the program's ``__main__``).
        cpu_seconds: CPU time limit (``SIGXCPU``, then ``SIGKILL`` one second later).
        wall_seconds: Wall-clock limit; the whole process group is killed when it passes.
        memory_mb: Address-space limit; allocations beyond it raise ``MemoryError``.
        max_processes: Processes the program may have in total, itself included (1: no ``fork`` at all).
        max_output_bytes: Bytes kept of stdout and of stderr each; a program writing more than 4x that is stopped.
        max_file_bytes: Largest file it may write.
        max_open_files: Open file descriptor limit.
        disk_mb: Size of the working directory, a private ``tmpfs`` under bubblewrap or the jail (and as root);
            elsewhere files are bounded by ``max_file_bytes`` each only.
        site_packages: Whether the interpreter's site-packages (numpy, sympy, ...) are visible and importable.
        kernel_isolation: Whether to apply the kernel layers at all (bubblewrap, namespaces, Landlock, capability
            drop, seccomp). Without them reads are not confined, so ``allow_unisolated`` must be given too.
        audit_hook: Whether to install the Python audit hook layer. Turn it off only to test the kernel layers on
            their own: as root with ``max_processes > 1`` it is the only bound on the number of processes.
        isolation: The read-confining layers to try, of :data:`ISOLATION_BACKENDS`: ``"bubblewrap"`` (when
            ``bwrap`` works here), else ``"namespaces"`` (the child's own jail), and ``"landlock"`` in addition.
        allow_unisolated: Run even where no layer confines reads (agent code could then read every file this
            process can read). ``None`` (default) reads ``RRM_GYM_ALLOW_UNISOLATED_SANDBOX`` (``"1"`` allows).

    Raises:
        ValueError: A limit is not positive, ``code`` is not a string, or ``isolation`` names an unknown layer
            (API misuse, not bad agent code).
        SandboxUnavailableError: Reads could not be confined and running unisolated was not allowed; the code did
            not run.

    Example:
        >>> run_python("while True: pass", cpu_seconds=1, wall_seconds=3).killed_reason in ("cpu_limit", "wall_timeout")
        True
    """
    if not isinstance(code, str):
        raise ValueError(f"code must be a str, got {type(code).__name__}")
    for name, value in [("cpu_seconds", cpu_seconds), ("wall_seconds", wall_seconds), ("memory_mb", memory_mb),
                        ("max_processes", max_processes), ("max_output_bytes", max_output_bytes),
                        ("max_file_bytes", max_file_bytes), ("max_open_files", max_open_files),
                        ("disk_mb", disk_mb)]:
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    unknown = sorted(set(isolation) - set(ISOLATION_BACKENDS))
    if isinstance(isolation, str) or unknown:
        raise ValueError(f"isolation must be a sequence of {ISOLATION_BACKENDS}, got {isolation!r}")
    fs.make_non_dumpable()
    limits = {"cpu_seconds": float(cpu_seconds), "wall_seconds": float(wall_seconds), "memory_mb": float(memory_mb),
              "max_file_bytes": float(max_file_bytes),
              "output_kill_bytes": float(max_output_bytes * OUTPUT_KILL_FACTOR)}
    wanted = set(isolation) if kernel_isolation else set()
    options = {"max_processes": int(max_processes), "disk_mb": float(disk_mb), "kernel": bool(kernel_isolation),
               "audit": bool(audit_hook), "require": not _allowed(allow_unisolated),
               "landlock": "landlock" in wanted, "site_packages": bool(site_packages)}
    while True:
        bwrap = fs.bwrap_path() if "bubblewrap" in wanted and "bwrap_broken" not in _state else None
        notes = [] if bwrap or "bubblewrap" not in wanted else [str(_state.get("bwrap_broken",
                                                                               "bubblewrap: bwrap not on PATH"))]
        options["jail"] = "namespaces" in wanted and not bwrap
        result = _run_in_folder(code, limits, options, bwrap, max_output_bytes, max_file_bytes, max_open_files)
        if bwrap and not result.isolation and result.stderr.startswith("bwrap:"):
            _state["bwrap_broken"] = f"bubblewrap: {result.stderr.strip()[:200]}"  # e.g. no user namespaces
            continue
        break
    result = dataclasses.replace(result, notes=tuple(notes) + result.notes)
    if result.killed_reason == "refused":
        raise _refusal(result.isolation, result.notes)
    return result


def _run_in_folder(code: str, limits: dict[str, float], options: dict[str, object], bwrap: str | None,
                   max_output: int, max_file_bytes: int, max_open_files: int) -> SandboxResult:
    base = tempfile.mkdtemp(prefix="rrm-sandbox-")
    try:
        os.chmod(base, 0o755)
        work, jail_root = os.path.join(base, "work"), os.path.join(base, "root")
        os.mkdir(work, 0o700)
        os.mkdir(jail_root, 0o755)
        code_path, probe = os.path.join(base, "main.py"), os.path.join(base, "host-only")
        with open(code_path, "w", encoding="utf-8", errors="surrogatepass") as fh:
            fh.write(code)
        with open(probe, "w") as fh:
            fh.write("a host file the sandbox must not be able to read\n")
        os.chmod(probe, 0o644)
        return _execute(code_path, work, jail_root, probe, limits, options, bwrap, max_output, max_file_bytes,
                        max_open_files)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _execute(code_path: str, work: str, jail_root: str, probe: str, limits: dict[str, float],
             options: dict[str, object], bwrap: str | None, max_output: int, max_file_bytes: int,
             max_open_files: int) -> SandboxResult:
    uid = os.geteuid()
    max_processes = int(options["max_processes"])  # type: ignore[call-overload]
    nproc = max_processes if uid == 0 else user_thread_count(uid) + max_processes + 3  # + bwrap / jail waiters
    status_r, status_w = os.pipe()
    paths, hidden = fs.runtime_paths(bool(options["site_packages"]))
    child = str(CHILD_SCRIPT)
    if bwrap:  # the child's scripts are bound next to the program, so the project stays invisible
        child = os.path.join(os.path.dirname(code_path), CHILD_SCRIPT.name)
    config = {"work": work, "code_path": code_path, "status_fd": status_w, **options,
              "mode": "bwrap" if bwrap else "direct", "paths": paths, "hidden": hidden,
              "site_dirs": fs.site_dirs() if options["site_packages"] else [], "jail_root": jail_root,
              "probe_file": probe, "package_dir": fs.package_dir(), "host_ns": fs.namespace_ids()}
    python = os.path.realpath(sys.executable)  # the runtime itself, not a virtualenv's symlink into the project
    argv = [python, "-I", "-B", "-S", child, json.dumps(config)]
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLCONFIGDIR": work}
    if bwrap:
        files = {child: str(CHILD_SCRIPT), os.path.join(os.path.dirname(child), KERNEL_SCRIPT.name):
                 str(KERNEL_SCRIPT), code_path: code_path}
        argv = fs.bwrap_command(bwrap, paths=paths, hidden=hidden, env=env, work=work, files=files,
                             disk_mb=float(options["disk_mb"])) + argv  # type: ignore[arg-type]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            pass_fds=(status_w,), start_new_session=True,
            preexec_fn=make_preexec(limits["cpu_seconds"], limits["memory_mb"], nproc, max_file_bytes,
                                     max_open_files),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        os.close(status_r)
        os.close(status_w)
        return SandboxResult("", f"could not start the sandbox: {exc}", None, killed_reason="start_failed",
                             limits=limits)
    os.close(status_w)
    reaped: dict[str, float] = {}
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()  # type: ignore[union-attr]
    try:
        out, reason = collect(proc, status_r, start + limits["wall_seconds"], max_output, reaped)
    finally:
        kill_group(proc.pid)
        os.close(status_r)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        if "status" not in reaped:
            reap(proc, reaped, block=True)
    exit_code = proc.returncode
    stdout, stdout_cut = decode(out[out_fd], max_output)
    stderr, stderr_cut = decode(out[err_fd], max_output)
    status = parse_status(out[status_r].decode("utf-8", "replace"))
    if bwrap and exit_code is not None and exit_code > 128 and status["exit"] != exit_code \
            and exit_code - 128 in signal.valid_signals():
        exit_code = 128 - exit_code  # bubblewrap passes "killed by signal n" on as exit status 128 + n
    if reason is None:
        reason = "refused" if status["refused"] else classify(exit_code, stderr, reaped.get("cpu", 0.0),
                                                                limits["cpu_seconds"])
    return SandboxResult(stdout, stderr, exit_code, reason == "wall_timeout", reason, stdout_cut, stderr_cut,
                         tuple(status["blocked"]), tuple(status["isolation"]), round(time.monotonic() - start, 4),
                         limits, tuple(status["notes"]))
