"""The sandbox's child side: isolate this process, then run the agent's code (run as a script, never imported).

:func:`rrm_gym.envs.sandbox.run_python` starts ``python -I -B -S sandbox_child.py CONFIG_JSON`` — inside bubblewrap
where ``bwrap`` works, directly otherwise — with resource limits already set. Before any agent code runs, this
script adds (kernel parts from ``sandbox_kernel.py``, next to it):

* where bubblewrap is not in use, the namespace jail (user, mount, PID, network, IPC, UTS namespaces and a new root
  that holds only the runtime and the working directory) where the kernel allows it; as root without it, the
  older read-only remount;
* all capabilities dropped, Landlock (reads only of the runtime and the folder, writes only in the folder, no TCP),
  ``no_new_privs`` and a seccomp filter (no ``execve``, no sockets except ``AF_UNIX``, no new sessions, no ``fork``
  unless ``max_processes > 1``, no ptrace/mount/namespace calls);
* the interpreter's site-packages directories (with ``site_packages``), added only now;
* a check of what is really in force: a file the host planted next to the program and the ``rrm_gym`` package must
  be unreadable, and ``/proc`` must be a fresh one of a new PID namespace (or unreachable). Unless the host allowed
  running unisolated, the code is not run when the check fails;
* a Python audit hook (:pep:`578`) that refuses writes outside the directory, network use, process creation beyond
  the limit, signals to foreign processes, raising resource limits and the dangerous ``ctypes`` operations.

Refusals raise ``PermissionError`` in the agent's code and are reported to the host on a status pipe, so the
observation says what was blocked even when the code catches the error. The status pipe also carries the layers in
force and the exit status. The file uses the standard library only: ``-I`` keeps the package off ``sys.path``.
"""

from __future__ import annotations

import _thread
import builtins
import contextlib
import json
import linecache
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_DEVICES = frozenset({"/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr"})
_ENV_KEYS = frozenset({"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                       "MKL_NUM_THREADS", "MPLCONFIGDIR", "LC_CTYPE", "PWD"})


# ----------------------------------------------------------------------------------------------- kernel layers
def _load_kernel() -> Any:  # noqa: ANN401 - a module loaded from a file
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_kernel.py")
    spec = importlib.util.spec_from_file_location("_rrm_sandbox_kernel", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _isolate(config: dict[str, Any], layers: list[str], notes: list[str]) -> None:
    """Apply the kernel layers this host permits, appending their names to ``layers`` and failures to ``notes``."""
    kernel = _load_kernel()
    lib = kernel.libc()
    lib.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG = SIGKILL: die with the host
    work, disk_mb, paths, hidden = config["work"], float(config["disk_mb"]), config["paths"], config["hidden"]
    bwrap = config["mode"] == "bwrap"
    private_view = bwrap
    if config["jail"] and not bwrap:
        got, note = kernel.enter_jail(lib, root=config["jail_root"], work=work, disk_mb=disk_mb, paths=paths,
                                      hidden=hidden)
        layers += got
        notes += [note] if note else []
        private_view = "namespace jail" in got
        if not got and os.geteuid() == 0:
            layers += kernel.remount_read_only(lib, work, disk_mb)
    elif not bwrap and os.geteuid() == 0:
        layers += kernel.remount_read_only(lib, work, disk_mb)
    if bwrap:
        layers.append(f"private {int(disk_mb)} MB working directory")
    own = {}
    for kind in config["host_ns"]:
        with contextlib.suppress(OSError):
            own[kind] = os.readlink(f"/proc/self/ns/{kind}")
    new = [kind for kind, ident in config["host_ns"].items() if own.get(kind, ident) != ident]
    layers[:] = [x for x in layers if not x.startswith("namespaces(")]
    if new:
        layers.insert(1 if bwrap else 0, f"namespaces({','.join(new)})")
    if kernel.drop_capabilities(lib):
        layers.append("capabilities dropped")
    if config["landlock"]:
        read = list(paths) + (["/proc"] if private_view else [])
        write = [work] + [f"/dev/{d}" for d in ("null", "zero", "full", "random", "urandom")]
        write += ["/dev/shm"] if private_view else []
        layer, note = kernel.apply_landlock(lib, read=read, write=write, hidden=hidden)
        layers += [layer] if layer else []
        notes += [note] if note else []
    if kernel.apply_seccomp(lib, int(config["max_processes"])):
        layers.append("seccomp")


def _readable(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError:
        return False
    return True


def _check_view(config: dict[str, Any], layers: list[str]) -> bool:
    """Test what agent code can reach; append what holds to ``layers``; return whether reads are confined."""
    hidden = not _readable(config["probe_file"]) and not _readable(os.path.join(config["package_dir"],
                                                                                "__init__.py"))
    if hidden:
        layers.append("host files hidden")
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        pids = []
    proc = None
    if not pids:
        proc = "no /proc access"
    else:
        with contextlib.suppress(OSError):
            fresh = os.readlink("/proc/self") == str(os.getpid())
            if fresh and os.readlink("/proc/self/ns/pid") != config["host_ns"].get("pid"):
                proc = "private /proc"
    if proc:
        layers.append(proc)
    if set(os.environ) <= _ENV_KEYS:
        layers.append("clean environment")
    return hidden and proc is not None


def _add_site_dirs(site_dirs: list[str]) -> None:
    import site

    site.setquit()
    site.sethelper()
    for path in site_dirs:
        site.addsitedir(path)


# ----------------------------------------------------------------------------------------------- audit layer
def _install_audit_hook(work: str, max_processes: int, status_fd: int) -> Callable[..., None]:
    """Refuse writes outside ``work``, network, extra processes, foreign signals and raw memory access."""
    state = {"forks": 0, "child": False, "reported": 0}
    busy: set[int] = set()
    own_pgid = os.getpgrp()
    fork_events = frozenset({"os.fork", "os.forkpty"})
    exec_events = frozenset({"os.exec", "os.posix_spawn", "os.system", "subprocess.Popen", "pty.spawn"})
    net_events = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                            "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo",
                            "socket.sethostname", "urllib.Request", "http.client.connect", "ftplib.connect",
                            "smtplib.connect", "poplib.connect", "imaplib.open", "nntplib.connect",
                            "telnetlib.Telnet.open", "webbrowser.open"})
    raw_events = frozenset({"ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.call_function", "ctypes.cdata",
                            "ctypes.cdata/buffer", "ctypes.PyObj_FromPtr", "resource.setrlimit", "resource.prlimit",
                            "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames"})
    # event -> (indices of path arguments that must stay inside ``work``, indices of dir_fd arguments)
    path_events: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
        "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.mkdir": ((0,), (2,)), "os.chmod": ((0,), (2,)),
        "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)), "os.truncate": ((0,), ()), "os.rename": ((0, 1), (2, 3)),
        "os.link": ((0, 1), (2, 3)), "os.symlink": ((1,), (2,)), "os.setxattr": ((0,), ()),
        "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), ()), "shutil.copyfile": ((1,), ()),
        "shutil.copymode": ((1,), ()), "shutil.copystat": ((1,), ()), "shutil.copytree": ((1,), ()),
        "shutil.move": ((0, 1), ()), "shutil.chown": ((0,), ()), "shutil.make_archive": ((0,), ()),
        "shutil.unpack_archive": ((1,), ()), "tempfile.mkstemp": ((0,), ()), "tempfile.mkdtemp": ((0,), ()),
        "sqlite3.connect": ((0,), ()),
    }
    root = os.path.realpath(work)

    def report(message: str) -> None:
        if state["reported"] < 20:
            state["reported"] += 1
            with contextlib.suppress(OSError):
                os.write(status_fd, (json.dumps({"blocked": message[:300]}) + "\n").encode())

    def refuse(message: str, exc: type[Exception] = PermissionError) -> None:
        report(message)
        raise exc(f"[sandbox] {message}")

    def inside(path: object) -> bool:
        if isinstance(path, int) or path is None:
            return True  # an already-open descriptor, or "no path"
        try:
            text = os.fsdecode(os.fspath(path))  # type: ignore[arg-type]
        except TypeError:
            return True  # not a path; the call itself will fail
        if text in _DEVICES or text == ":memory:" or text.startswith("file::memory:"):
            return True
        real = os.path.realpath(os.path.join(os.getcwd(), text))
        return real == root or real.startswith(root + os.sep) or real in _DEVICES

    def hook(event: str, args: tuple) -> None:
        ident = _thread.get_ident()
        if ident in busy:  # an event raised by the check itself (realpath, /proc reads)
            return
        busy.add(ident)
        try:
            _check(event, args)
        finally:
            busy.discard(ident)

    def _check(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            writes = (isinstance(flags, int) and flags > 0 and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+"))
            if writes and not inside(path):
                refuse(f"writing outside the sandbox directory: {os.fsdecode(os.fspath(path))[:200]!r}")
        elif event in path_events:
            indices, dir_fds = path_events[event]
            if any(i < len(args) and isinstance(args[i], int) and args[i] >= 0 for i in dir_fds):
                refuse(f"{event} with dir_fd is not allowed in the sandbox")
            for i in indices:
                if i < len(args) and not inside(args[i]):
                    refuse(f"{event} outside the sandbox directory: {str(args[i])[:200]!r}")
        elif event == "socket.__new__":
            if len(args) > 1 and args[1] != 1:  # anything but AF_UNIX
                refuse("network access is disabled in the sandbox (socket)")
        elif event in net_events:
            refuse(f"network access is disabled in the sandbox ({event})")
        elif event in fork_events:
            if state["child"] or state["forks"] + 1 >= max_processes:
                refuse(f"process limit reached: at most {max_processes} process(es) in the sandbox")
            state["forks"] += 1
        elif event in exec_events:
            refuse(f"starting programs is not allowed in the sandbox ({event})")
        elif event in ("os.kill", "os.killpg"):
            target = args[0] if args else None
            if not _own_process(target, event == "os.killpg", own_pgid):
                refuse(f"{event} of a process outside the sandbox")
        elif event in raw_events:
            refuse(f"{event} is not allowed in the sandbox")
        elif event == "import" and args and str(args[0]).split(".")[0] in ("cffi", "_cffi_backend"):
            refuse(f"importing {args[0]} is not allowed in the sandbox", ImportError)

    os.register_at_fork(after_in_child=lambda: state.update(child=True))
    sys.addaudithook(hook)
    return refuse


def _own_process(target: object, group: bool, own_pgid: int) -> bool:
    """Whether a kill target is this process, its process group, or one of its children."""
    if not isinstance(target, int):
        return True
    if group or target <= 0:
        return target in (0, own_pgid, -own_pgid)
    if target == os.getpid():
        return True
    try:
        with open(f"/proc/{target}/stat", encoding="utf-8") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, ValueError, IndexError):
        return False


def _patch_functions(work: str, refuse: Callable[..., None]) -> None:
    """Close the gaps that raise no audit event: ``open(dir_fd=...)``, FIFOs/nodes, ``_posixsubprocess``."""
    import _posixsubprocess
    import posix

    real_open, real_mkfifo, real_mknod = posix.open, posix.mkfifo, posix.mknod
    root = os.path.realpath(work)

    def guarded_open(path, flags, mode=0o777, *, dir_fd=None):  # noqa: ANN001, ANN202
        if dir_fd is not None:
            refuse("os.open with dir_fd is not allowed in the sandbox")
        return real_open(path, flags, mode)

    def guarded_node(real):  # noqa: ANN001, ANN202
        def make(path, *args, dir_fd=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            target = os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(path)))
            if dir_fd is not None or not (target == root or target.startswith(root + os.sep)):
                refuse("creating FIFOs or device nodes outside the sandbox directory")
            return real(path, *args, **kwargs)
        return make

    def no_fork_exec(*_args, **_kwargs):  # noqa: ANN002, ANN003, ANN202
        refuse("starting programs is not allowed in the sandbox (fork_exec)")

    for module in (os, posix):
        module.open = guarded_open
        module.mkfifo = guarded_node(real_mkfifo)
        module.mknod = guarded_node(real_mknod)
    _posixsubprocess.fork_exec = no_fork_exec


# ----------------------------------------------------------------------------------------------- main
def _print_agent_traceback(exc: BaseException) -> None:
    """Print the traceback without the sandbox's own frames (the runner and the audit hook)."""
    report = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    seen: set[int] = set()
    todo = [report]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        frames = [f for f in item.stack if f.filename != __file__]
        item.stack = traceback.StackSummary.from_list(frames)
        todo += [x for x in (item.__cause__, item.__context__) if x is not None]
    sys.stderr.write("".join(report.format()))


def _status(fd: int, item: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps(item) + "\n").encode())


def main() -> int:
    """Isolate, then run the code file named in the JSON config (``sys.argv[1]``); return the exit status."""
    config = json.loads(sys.argv[1])
    work, status_fd = config["work"], int(config["status_fd"])
    with open(config["code_path"], encoding="utf-8", errors="replace") as fh:
        source = fh.read()
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors="backslashreplace")  # type: ignore[attr-defined]
    layers: list[str] = ["bubblewrap"] if config["mode"] == "bwrap" else []
    notes: list[str] = []
    if config.get("kernel", True):
        try:
            _isolate(config, layers, notes)
        except (AttributeError, OSError) as exc:  # not Linux, or no /proc: the audit hook still applies
            layers.append(f"no kernel layers ({type(exc).__name__})")
    _add_site_dirs(config["site_dirs"])
    confined = _check_view(config, layers)
    if config["require"] and not confined:
        _status(status_fd, {"isolation": layers, "notes": notes, "refused": True})
        return 0
    if config.get("audit", True):
        refuse = _install_audit_hook(work, int(config["max_processes"]), status_fd)
        _patch_functions(work, refuse)
        layers.append("audit hook")
    _status(status_fd, {"isolation": layers, "notes": notes})
    del config, fh
    filename = "<python>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sys.argv = [filename]
    namespace = {"__name__": "__main__", "__builtins__": builtins, "__file__": filename}
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - running agent code is the point
    except SystemExit as exc:
        code = exc.code
        _status(status_fd, {"exit": code if isinstance(code, int) else 0 if code is None else 1})
        raise
    except BaseException as exc:  # noqa: BLE001 - report everything the agent's code raises
        _print_agent_traceback(exc)
        if isinstance(exc, MemoryError):
            print("[sandbox] memory limit reached", file=sys.stderr)
        _status(status_fd, {"exit": 1})
        return 1
    _status(status_fd, {"exit": 0})
    return 0


if __name__ == "__main__":
    sys.exit(main())
