"""Kernel layers of the sandbox's child process (loaded by ``sandbox_child.py`` from its own folder, never imported).

Standard library only (it runs under ``python -I -S`` inside the sandbox). Each function applies one layer where the
host allows it and returns the names of what is in force, or a note saying why not:

* :func:`enter_jail` — the fallback when bubblewrap is missing: new user (unless root), mount, PID, network, IPC
  and UTS namespaces; a new root on a ``tmpfs`` that holds only the runtime paths (read-only), a private working
  directory, a fresh ``/tmp``, ``/dev/shm`` and ``/proc`` of the new PID namespace and five device files; then
  ``pivot_root`` so nothing else of the host is reachable. The original process stays outside as a waiter that
  passes the exit status on; the agent's code runs as PID 1 of the new namespace.
* :func:`remount_read_only` — the older root-only layer (network + mount namespaces, every mount read-only except
  the working directory) used when neither bubblewrap nor the jail could be set up. It does not hide files.
* :func:`drop_capabilities`, :func:`apply_landlock` (reads limited to the runtime and the folder, writes to the
  folder, no TCP, no signals or abstract sockets outside the sandbox) and :func:`apply_seccomp`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

# x86_64 / aarch64 syscall numbers: (audit arch, {name: nr}).
_SYSCALLS = {
    "x86_64": (0xC000003E, dict(
        execve=59, execveat=322, fork=57, vfork=58, clone=56, clone3=435, socket=41, setsid=112, setpgid=109,
        ptrace=101, mount=165, umount2=166, unshare=272, setns=308, pivot_root=155, chroot=161, kexec_load=246,
        init_module=175, finit_module=313, delete_module=176, reboot=169, swapon=167, swapoff=168, bpf=321,
        io_uring_setup=425, io_uring_enter=426, io_uring_register=427, process_vm_readv=310, process_vm_writev=311,
        setrlimit=160, prlimit64=302, kill=62, keyctl=250, add_key=248, request_key=249, perf_event_open=298,
        userfaultfd=323, open_by_handle_at=304, pidfd_send_signal=424, sethostname=170, setdomainname=171,
        open_tree=428, move_mount=429, fsopen=430, fsconfig=431, fsmount=432, fspick=433, mount_setattr=442)),
    "aarch64": (0xC00000B7, dict(
        execve=221, execveat=281, clone=220, clone3=435, socket=198, setsid=157, setpgid=154, ptrace=117,
        mount=40, umount2=39, unshare=97, setns=268, pivot_root=41, chroot=51, kexec_load=104, init_module=105,
        finit_module=273, delete_module=106, reboot=142, swapon=224, swapoff=225, bpf=280, io_uring_setup=425,
        io_uring_enter=426, io_uring_register=427, process_vm_readv=270, process_vm_writev=271, setrlimit=164,
        prlimit64=261, kill=129, keyctl=219, add_key=217, request_key=218, perf_event_open=241, userfaultfd=282,
        open_by_handle_at=265, pidfd_send_signal=424, sethostname=161, setdomainname=162, open_tree=428,
        move_mount=429, fsopen=430, fsconfig=431, fsmount=432, fspick=433, mount_setattr=442)),
}
_ALWAYS_DENIED = (
    "execve", "execveat", "setsid", "setpgid", "ptrace", "mount", "umount2", "unshare", "setns", "pivot_root",
    "chroot", "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
    "bpf", "io_uring_setup", "io_uring_enter", "io_uring_register", "process_vm_readv", "process_vm_writev",
    "setrlimit", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd", "open_by_handle_at",
    "pidfd_send_signal", "sethostname", "setdomainname", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
_NEWNS, _NEWUTS, _NEWIPC, _NEWUSER, _NEWPID, _NEWNET = 0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000
_MOUNT_FLAGS = {"nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}
_DEVICES = ("null", "zero", "full", "random", "urandom")


def libc() -> ctypes.CDLL:
    """The C library with ``errno`` kept and the ``mount`` / ``syscall`` signatures set."""
    lib = ctypes.CDLL(None, use_errno=True)
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    lib.syscall.restype = ctypes.c_long
    return lib


def _error(what: str) -> str:
    return f"{what}: {os.strerror(ctypes.get_errno())}"


def _mount(lib: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return None if text is None else os.fsencode(text)

    if lib.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _locked_flags(path: str) -> int:
    """The per-mount flags of ``path``'s mount that a user namespace may not clear (nosuid, nodev, noexec, atime)."""
    flags = os.statvfs(path).f_flag
    return (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | 1024 | 2048)) | ((1 << 21) if flags & 4096 else 0)


def _bind(lib: ctypes.CDLL, source: str, target: str, *, read_only: bool = True) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(lib, source, target, None, MS_BIND | MS_REC)
    if read_only:
        _mount(lib, None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _locked_flags(source))


def enter_jail(lib: ctypes.CDLL, *, root: str, work: str, disk_mb: float, paths: list[str],
               hidden: list[str]) -> tuple[list[str], str | None]:
    """Move this process into a fresh set of namespaces whose filesystem holds only ``paths`` and ``work``.

    Args:
        lib: From :func:`libc`.
        root: An empty directory to build the new root on (it gets a ``tmpfs``).
        work: The working directory (a private ``tmpfs`` of ``disk_mb`` MB at the same path inside).
        disk_mb: Size of the working directory.
        paths: Host paths bound read-only at the same place.
        hidden: Paths below ``paths`` covered by an empty read-only ``tmpfs``.

    Returns:
        ``(layers, note)``: the layers in force and, if something could not be set up, why.
    """
    uid, gid = os.getuid(), os.getgid()
    if lib.unshare(_NEWNS | _NEWPID | _NEWNET | _NEWIPC | _NEWUTS | (_NEWUSER if uid else 0)) != 0:
        return [], _error("namespaces: unshare")
    try:
        if uid:
            for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
        _mount(lib, None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        return [], f"namespaces: {exc}"
    pid = os.fork()  # the child is PID 1 of the new namespace and goes on; this process only waits
    if pid:
        _forward_exit(pid)
    lib.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the waiter
    layers = ["namespaces(" + ",".join(["user"] * bool(uid) + ["mnt", "pid", "net", "ipc", "uts"]) + ")"]

    def new(path: str) -> str:
        return root + path

    try:
        _mount(lib, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755")
        os.makedirs(new("/tmp"))
        _mount(lib, "tmpfs", new("/tmp"), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=1777")
        for path in paths:
            _bind(lib, path, new(path))
        for path in hidden:
            _mount(lib, "tmpfs", new(path), "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0555")
        for name in _DEVICES:
            _bind(lib, f"/dev/{name}", new(f"/dev/{name}"), read_only=False)
        os.makedirs(new("/dev/shm"))
        _mount(lib, "tmpfs", new("/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=1777")
        os.makedirs(new(work))
        _mount(lib, "tmpfs", new(work), "tmpfs", MS_NOSUID | MS_NODEV, f"size={max(1, int(disk_mb))}m,mode=0700")
        _mount(lib, None, new("/tmp"), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.makedirs(new("/proc"))
        try:
            _mount(lib, "proc", new("/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            note = None
        except OSError as exc:  # e.g. a container that masks parts of /proc: no /proc at all then
            note = f"jail: no /proc ({exc})"
        os.chdir(root)
        if lib.syscall(_SYSCALLS[os.uname().machine][1]["pivot_root"], b".", b".") != 0:
            raise OSError(ctypes.get_errno(), _error("pivot_root"))
        if lib.umount2(b".", 2) != 0:  # MNT_DETACH: the old root, stacked on top of the new one
            raise OSError(ctypes.get_errno(), _error("umount old root"))
        os.chdir("/")
        _mount(lib, None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.chdir(work)
    except (OSError, KeyError) as exc:
        return layers, f"jail: {exc}"
    return [*layers, "namespace jail", f"private {int(disk_mb)} MB working directory"], note


def _forward_exit(pid: int) -> None:
    """Wait for ``pid`` and end this process the same way (exit status or signal); never returns."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        os._exit(1)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def remount_read_only(lib: ctypes.CDLL, work: str, disk_mb: float) -> list[str]:
    """Network + mount (+ IPC, UTS) namespaces with every mount read-only except ``work`` (needs root)."""
    layers: list[str] = []
    if lib.unshare(_NEWNS | _NEWNET | _NEWIPC | _NEWUTS) != 0:
        return layers
    layers.append("namespaces(net,mount,ipc,uts)")
    lib.mount(None, b"/", None, MS_REC | MS_PRIVATE, None)
    size = f"size={max(1, int(disk_mb))}m,mode=0700".encode()
    if lib.mount(b"tmpfs", work.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, size) == 0:
        layers.append(f"private {int(disk_mb)} MB working directory")
    elif lib.mount(work.encode(), work.encode(), None, MS_BIND | MS_REC, None) != 0:
        return layers
    os.chdir(work)  # the old cwd still points below the new mount
    private = {work.encode()}
    if os.path.isdir("/dev/shm") and lib.mount(b"tmpfs", b"/dev/shm", b"tmpfs", 14, b"size=16m") == 0:
        private.add(b"/dev/shm")  # a private, small one: multiprocessing's semaphores live there
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        points = [line.split()[4:6] for line in fh if len(line.split()) > 5]
    failed = 0
    for point, options in points:
        path = point.encode().decode("unicode_escape").encode("latin-1")  # mountinfo octal escapes
        keep = sum(_MOUNT_FLAGS.get(option, 0) for option in options.split(","))  # nosuid, noexec, ...
        if path not in private:
            failed += lib.mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, None) != 0
    layers.append("read-only filesystem" if not failed else f"read-only filesystem ({failed} mounts kept)")
    return layers


def drop_capabilities(lib: ctypes.CDLL) -> bool:
    """Drop every capability (bounding, ambient, effective, permitted, inheritable); return whether it worked."""
    for cap in range(64):
        lib.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (needs CAP_SETPCAP; harmless when it fails)
    lib.prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT_CLEAR_ALL
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    return lib.capset(header, (ctypes.c_uint32 * 6)()) == 0


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("fd", ctypes.c_int32)]


def apply_landlock(lib: ctypes.CDLL, *, read: list[str], write: list[str], hidden: list[str]) -> tuple[str | None, str]:
    """Limit reads to ``read`` (minus ``hidden``) and writes to ``write``; needs ``no_new_privs`` already set.

    Returns:
        ``(layer, note)``: the layer name if in force (``"landlock(abi N)"``), else ``None`` and why not.
    """
    abi = lib.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        return None, _error("landlock: not available")
    fs = (1 << 13) - 1 | (1 << 13 if abi >= 2 else 0) | (1 << 14 if abi >= 3 else 0) | (1 << 15 if abi >= 5 else 0)
    attr = _RulesetAttr(fs, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)  # no TCP bind/connect; scoped signals
    fd = lib.syscall(444, ctypes.byref(attr), 8 if abi < 4 else 16 if abi < 6 else 24, 0)
    if fd < 0:
        return None, _error("landlock: create ruleset")
    file_rights = fs & (1 | 2 | 4 | (1 << 14) | (1 << 15))  # execute, write, read, truncate, ioctl
    reading, read_dir = 1 | 4 | 8, 8

    def allow(path: str, rights: int) -> None:
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            return
        try:
            rule = _PathBeneath(rights if os.path.isdir(path) else rights & file_rights, target)
            if lib.syscall(445, fd, 1, ctypes.byref(rule), 0) != 0:  # LANDLOCK_RULE_PATH_BENEATH
                raise OSError(ctypes.get_errno(), _error(f"landlock rule for {path}"))
        finally:
            os.close(target)

    def allow_read(path: str) -> None:
        if not any(h.startswith(path.rstrip("/") + "/") for h in hidden):
            allow(path, reading)
            return
        allow(path, read_dir)  # list it, but read only what is not hidden
        for name in os.listdir(path):
            child = os.path.join(path, name)
            if child not in hidden:
                allow_read(child)

    try:
        for path in read:
            allow_read(path)
        for path in write:
            allow(path, fs & ~(64 | 2048))  # everything but creating device nodes
        if lib.prctl(38, 1, 0, 0, 0) != 0 or lib.syscall(446, fd, 0) != 0:  # no_new_privs, landlock_restrict_self
            return None, _error("landlock: restrict_self")
    except OSError as exc:
        return None, str(exc)
    finally:
        os.close(fd)
    return f"landlock(abi {abi})", ""


def _bpf_program(max_processes: int) -> list[tuple[int, int, int, int]] | None:
    """A seccomp BPF program (list of ``(code, jt, jf, k)``) for this machine, or ``None`` on other arches."""
    arch, nr = _SYSCALLS.get(os.uname().machine, (None, None))
    if arch is None or nr is None:
        return None
    ld, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    allow, eperm, enosys, kill = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38, 0x80000000

    def arg(i: int, high: bool = False) -> tuple[int, int, int, int]:
        return (ld, 0, 0, 16 + 8 * i + (4 if high else 0))

    load_nr = (ld, 0, 0, 0)
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill), load_nr]
    if arch == 0xC000003E:  # x32 ABI numbers
        prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, eperm)]
    denied = list(_ALWAYS_DENIED)
    if max_processes <= 1:
        denied += [n for n in ("fork", "vfork") if n in nr]
    for name in denied:
        prog += [(jeq, 0, 1, nr[name]), (ret, 0, 0, eperm)]
    prog += [(jeq, 0, 1, nr["clone3"]), (ret, 0, 0, enosys)]  # glibc falls back to clone(), which we can inspect
    if max_processes <= 1:  # clone() is allowed for threads only
        prog += [(jeq, 0, 4, nr["clone"]), arg(0), (jset, 1, 0, 0x00010000), (ret, 0, 0, eperm), load_nr]
    prog += [(jeq, 0, 4, nr["socket"]), arg(0), (jeq, 1, 0, 1), (ret, 0, 0, eperm), load_nr]  # AF_UNIX only
    # prlimit64 may read limits (new_limit == NULL) but never set them
    prog += [(jeq, 0, 6, nr["prlimit64"]), arg(2), (jeq, 0, 2, 0), arg(2, True), (jeq, 1, 0, 0),
             (ret, 0, 0, eperm), load_nr]
    prog += [(jeq, 0, 4, nr["kill"]), arg(0), (jeq, 0, 1, 0xFFFFFFFF), (ret, 0, 0, eperm), load_nr]  # no kill(-1)
    prog.append((ret, 0, 0, allow))
    return prog


def apply_seccomp(lib: ctypes.CDLL, max_processes: int) -> bool:
    """Set ``no_new_privs`` and install the seccomp filter (no exec, sockets but AF_UNIX, mounts, ptrace, ...)."""
    prog = _bpf_program(max_processes)
    if prog is None or lib.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    return lib.prctl(22, 2, ctypes.byref(SockFprog(len(prog), filters)), 0, 0) == 0  # PR_SET_SECCOMP, FILTER
