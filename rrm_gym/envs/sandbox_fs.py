"""What sandboxed agent code may see, and the host-side hardening of :func:`rrm_gym.envs.sandbox.run_python`.

* :func:`runtime_paths` — the read-only view: the interpreter file, its standard library (and extension modules),
  ``libpython`` when shared, the system library directories, ``/etc/ld.so.cache`` and, with ``site_packages``, the
  interpreter's site-packages directories. Nothing else: not ``/root`` or ``/home`` (only the runtime's own
  directories under them when the interpreter lives there, e.g. pyenv), not the host's ``/tmp``, not the project
  checkout or the virtualenv's other files, not dataset caches. The ``rrm_gym`` package itself is hidden even when
  it is installed in a visible site-packages directory (its generators could recompute gold answers).
* :func:`bwrap_command` — the bubblewrap command line that gives the child exactly that view, a fresh ``/tmp``, a
  private size-limited working directory, a fresh ``/proc`` of a new PID namespace and no network.
* :func:`make_non_dumpable` — ``prctl(PR_SET_DUMPABLE, 0)`` on the env process, so processes of the same user cannot
  read its ``/proc/<pid>/environ``, ``maps`` or ``mem`` or attach to it. Side effect: debuggers and profilers that
  attach to a running process (py-spy, gdb -p, strace -p) cannot attach to it either, and it writes no core dumps.
  Set ``RRM_GYM_SANDBOX_KEEP_DUMPABLE=1`` to skip it while debugging.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import site
import sys
import sysconfig
import threading

__all__ = ["bwrap_command", "bwrap_path", "make_non_dumpable", "namespace_ids", "package_dir", "runtime_paths",
           "site_dirs"]

_SYSTEM_LIBS = ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32")
_DEVICE_SHM_BYTES = 16 * 2**20
_dumpable_lock = threading.Lock()
_dumpable_done: list[bool] = []


def package_dir() -> str:
    """The real path of the installed ``rrm_gym`` package (hidden from agent code)."""
    return os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))


def runtime_paths(site_packages: bool) -> tuple[list[str], list[str]]:
    """Return ``(paths, hidden)``: what the interpreter needs read-only, and what to mask inside those paths.

    Args:
        site_packages: Whether the interpreter's site-packages directories (numpy, sympy, ...) are included.

    Returns:
        Real paths (files and directories) that exist, outermost first and without duplicates; and the real paths
        below them that must stay hidden (the ``rrm_gym`` package when it is installed there).

    Example:
        >>> paths, hidden = runtime_paths(site_packages=False)
        >>> os.path.realpath(sys.executable) in paths
        True
    """
    found = [os.path.realpath(sys.executable)]
    found += [os.path.realpath(os.path.dirname(os.__file__))]
    for module in ("math", "_json", "_struct"):  # extension modules (lib-dynload) may live elsewhere
        path = getattr(sys.modules.get(module) or __import__(module), "__file__", None)
        if path:
            found.append(os.path.realpath(os.path.dirname(path)))
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir, soname = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
        if libdir and soname:
            found.append(os.path.realpath(os.path.join(libdir, soname)))
    found += [p for p in _SYSTEM_LIBS if not os.path.islink(p)]
    found.append("/etc/ld.so.cache")
    if site_packages:
        found += site_dirs()
    paths: list[str] = []
    for path in found:
        if os.path.exists(path) and not any(_below(path, kept) for kept in paths):
            paths = [kept for kept in paths if not _below(kept, path)] + [path]
    pkg = package_dir()
    hidden = [pkg] if any(_below(pkg, kept) for kept in paths) else []
    return paths, hidden


def site_dirs() -> list[str]:
    """The interpreter's site-packages directories that exist (real paths), in ``site`` order."""
    return [real for real in dict.fromkeys(os.path.realpath(p) for p in site.getsitepackages()) if os.path.isdir(real)]


def _below(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def bwrap_path() -> str | None:
    """The ``bwrap`` executable on ``PATH`` (or in ``/usr/bin``), or ``None``."""
    return shutil.which("bwrap") or shutil.which("bwrap", path="/usr/bin:/bin")


def bwrap_command(bwrap: str, *, paths: list[str], hidden: list[str], env: dict[str, str], work: str,
                  files: dict[str, str], disk_mb: float) -> list[str]:
    """The bubblewrap prefix that runs a command in the sandbox's view of the machine.

    Args:
        bwrap: The ``bwrap`` executable.
        paths: Host paths bound read-only at the same place (from :func:`runtime_paths`).
        hidden: Paths below ``paths`` covered by an empty read-only ``tmpfs``.
        env: The whole environment of the command (``--clearenv`` first).
        work: The working directory: a private ``tmpfs`` of ``disk_mb`` MB at this path, the only writable place
            besides the private ``/dev/shm``.
        files: ``{inside: host}`` single files bound read-only (the program and the sandbox's child script).
        disk_mb: Size of the working directory.

    Returns:
        The argument list up to and including ``--``; append the command.

    Example:
        >>> cmd = bwrap_command("bwrap", paths=["/usr/lib"], hidden=[], env={"LANG": "C.UTF-8"}, work="/tmp/w",
        ...                     files={}, disk_mb=8)
        >>> cmd[:2], "--unshare-all" in cmd, cmd[-1]
        (['bwrap', '--unshare-all'], True, '--')
    """
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--hostname", "sandbox", "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    for link in _SYSTEM_LIBS:  # merged-/usr systems: /lib -> usr/lib and the loader path /lib64/ld-linux...
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
    args += ["--tmpfs", "/tmp"]
    for path in paths:
        args += ["--ro-bind", path, path]
    for path in hidden:
        args += ["--tmpfs", path, "--remount-ro", path]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(_DEVICE_SHM_BYTES), "--tmpfs", "/dev/shm"]
    for inside, host in files.items():
        args += ["--ro-bind", host, inside]
    args += ["--size", str(max(1, int(disk_mb)) * 2**20), "--perms", "0700", "--tmpfs", work,
             "--remount-ro", "/tmp", "--remount-ro", "/", "--chdir", work, "--"]
    return args


def namespace_ids() -> dict[str, str]:
    """This process's namespaces (``{"pid": "pid:[4026531836]", ...}``), to tell the child's apart from them."""
    ids: dict[str, str] = {}
    for kind in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup"):
        try:
            ids[kind] = os.readlink(f"/proc/self/ns/{kind}")
        except OSError:
            continue
    return ids


def make_non_dumpable() -> bool:
    """Mark this (the env) process non-dumpable, once; return whether it is non-dumpable now.

    A non-dumpable process's ``/proc/<pid>`` files belong to root and ptrace-style access (``maps``, ``mem``,
    ``environ``, attaching) needs ``CAP_SYS_PTRACE``, so other processes of the same user — agent code run without
    isolation, say — cannot read its secrets or memory. ``cmdline`` stays readable. Debuggers and profilers cannot
    attach to the process afterwards; ``RRM_GYM_SANDBOX_KEEP_DUMPABLE=1`` skips this. Linux only; elsewhere a no-op
    that returns ``False``.

    Example:
        >>> isinstance(make_non_dumpable(), bool)
        True
    """
    with _dumpable_lock:
        if not _dumpable_done:
            _dumpable_done.append(True)
            if sys.platform.startswith("linux") and os.environ.get("RRM_GYM_SANDBOX_KEEP_DUMPABLE") != "1":
                with contextlib.suppress(OSError, AttributeError):
                    ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, SUID_DUMP_DISABLE
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None).prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE
    except (OSError, AttributeError):
        return False
