"""Escape attempts against the python sandbox: each is contained, reported, and the host survives.

Most escapes are tried three ways: with every layer, with the audit hook alone (what a host without namespaces or
seccomp gets, which must be allowed explicitly) and with the kernel layers alone (skipped where this host cannot
apply them). The read-side escapes (host files, /proc, secrets) are in ``test_sandbox_isolation.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import rrm_gym
from rrm_gym.envs.sandbox import SandboxResult, run_python
from rrm_gym.envs.sandbox_process import user_thread_count

REPO = Path(rrm_gym.__file__).resolve().parents[1]
FAST = {"cpu_seconds": 3, "wall_seconds": 8}
_PROBE = run_python("pass")
KERNEL = "seccomp" in _PROBE.isolation
READ_ONLY_FS = any(layer.startswith("read-only filesystem") for layer in _PROBE.isolation) or (
    "host files hidden" in _PROBE.isolation)

LAYERS = [
    pytest.param({}, id="all-layers"),
    pytest.param({"kernel_isolation": False, "allow_unisolated": True}, id="audit-only"),
    pytest.param({"audit_hook": False}, id="kernel-only",
                 marks=pytest.mark.skipif(not KERNEL, reason="this host cannot apply the kernel layers")),
]


def _host_still_works() -> None:
    result = run_python("print(sum(range(10)))")
    assert result.ok and result.stdout == "45\n"


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[2]) == pgid and stat[0] != "Z":
            members.append(int(entry))
    return members


# agent code prints this first: its pid and its PID namespace (the host's, or the sandbox's own)
WHO = "import os\nprint(os.getpid(), os.readlink('/proc/self/ns/pid'), flush=True)\n"


def _survivors(stdout: str, grace_s: float = 3.0) -> list[int]:
    """Live host processes left over from a run whose code started with ``WHO``, after ``grace_s`` seconds.

    In a PID namespace of its own the pids the code saw are not host pids: then every live process still in that
    namespace counts (its init may still be reaping the SIGKILLed rest for a moment); otherwise the members of the
    code's process group.
    """
    deadline = time.monotonic() + grace_s
    while True:
        alive = _survivors_now(stdout)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def _survivors_now(stdout: str) -> list[int]:
    pid, namespace = stdout.split()[:2]
    if namespace == os.readlink("/proc/self/ns/pid"):
        return _group_members(int(pid))
    alive = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            same = os.readlink(f"/proc/{entry}/ns/pid") == namespace
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if same and state != "Z":
            alive.append(int(entry))
    return alive


# ----------------------------------------------------------------------------------------------- basics
def test_runs_code_and_reports_output_and_exit_code() -> None:
    result = run_python("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)")
    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)
    assert result.killed_reason is None and not result.ok
    assert "[exit code 3]" in result.report()


def test_traceback_shows_agent_code_only() -> None:
    result = run_python("x = 1\n1 / 0")
    assert result.exit_code == 1
    assert 'File "<python>", line 2' in result.stderr and "ZeroDivisionError" in result.stderr
    assert "sandbox_child" not in result.stderr


def test_scientific_packages_and_threads_work_inside() -> None:
    code = ("import threading, numpy, sympy\nout = []\nt = threading.Thread(target=lambda: out.append(1))\n"
            "t.start(); t.join()\nprint(int(numpy.arange(5).sum()), sympy.factorint(360), out)")
    result = run_python(code, wall_seconds=30, cpu_seconds=20)
    assert result.ok, result.report()
    assert result.stdout == "10 {2: 3, 3: 2, 5: 1} [1]\n"


def test_working_directory_is_writable_and_removed_afterwards() -> None:
    result = run_python("import os\nopen('a.txt', 'w').write('hi')\nprint(open('a.txt').read(), os.getcwd())")
    assert result.ok, result.report()
    text, cwd = result.stdout.split()
    assert text == "hi"
    assert not Path(cwd).exists() and not Path(cwd).parent.exists()


def test_undecodable_output_is_replaced_not_fatal() -> None:
    result = run_python("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok \\xe2\\x82')")
    assert result.ok and result.stdout.endswith(" ok \ufffd") and "\ufffd" in result.stdout


def test_api_misuse_raises_clear_errors() -> None:
    with pytest.raises(ValueError, match="cpu_seconds"):
        run_python("pass", cpu_seconds=0)
    with pytest.raises(ValueError, match="code must be a str"):
        run_python(None)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- resources
def test_infinite_loop_is_stopped() -> None:
    result = run_python("while True:\n    pass", cpu_seconds=1, wall_seconds=4)
    assert result.killed_reason in ("cpu_limit", "wall_timeout")
    assert result.exit_code is not None and result.exit_code < 0
    assert "[sandbox] stopped" in result.report()
    _host_still_works()


def test_sleeping_program_hits_the_wall_clock_limit() -> None:
    result = run_python("import time\nprint('start', flush=True)\ntime.sleep(60)", wall_seconds=2)
    assert result.timed_out and result.killed_reason == "wall_timeout"
    assert result.stdout == "start\n"
    assert "wall-clock limit of 2 s" in result.report()


@pytest.mark.parametrize("code", ["x = bytearray(10 * 1024 ** 3)", "x = 'a' * (10 * 1024 ** 3)",
                                  "chunks = []\nwhile True:\n    chunks.append(bytearray(50 * 1024 ** 2))"])
def test_ten_gigabyte_allocation_is_refused(code: str) -> None:
    result = run_python(code, memory_mb=256, **FAST)
    assert result.killed_reason == "memory_limit", result.report()
    assert "MemoryError" in result.stderr and "memory limit of 256 MB" in result.report()
    _host_still_works()


def test_raising_the_memory_limit_is_refused() -> None:
    code = ("import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n"
            "except (OSError, ValueError) as exc:\n    print('refused', type(exc).__name__)\n"
            "x = bytearray(10 * 1024 ** 3)")
    result = run_python(code, memory_mb=256)
    assert result.stdout.startswith("refused") and result.killed_reason == "memory_limit"


def test_output_flood_is_capped_and_stopped() -> None:
    result = run_python("while True:\n    print('x' * 1000)", max_output_bytes=5000, **FAST)
    assert result.killed_reason == "output_limit" and result.stdout_truncated
    assert len(result.stdout) <= 5000
    assert "output truncated" in result.report()


def test_file_size_is_limited() -> None:
    result = run_python("open('big', 'wb').write(b'x' * (4 * 1024 ** 2))", max_file_bytes=1024 ** 2)
    assert result.exit_code != 0 and ("File too large" in result.stderr or "No space" in result.stderr)


# ----------------------------------------------------------------------------------------------- processes
@pytest.mark.parametrize("max_processes", [1, 4])
def test_fork_bomb_is_contained(max_processes: int) -> None:
    code = WHO + "while True:\n    os.fork()"
    result = run_python(code, max_processes=max_processes, **FAST)
    assert result.exit_code == 1 and "PermissionError" in result.stderr
    assert any("process limit" in item for item in result.blocked)
    assert _survivors(result.stdout) == []
    _host_still_works()


def test_fork_bomb_is_contained_by_the_kernel_alone() -> None:
    if not KERNEL:
        pytest.skip("this host cannot apply the kernel layers")
    code = WHO + "while True:\n    os.fork()"
    result = run_python(code, audit_hook=False, max_processes=1, **FAST)
    assert result.exit_code == 1 and "Operation not permitted" in result.stderr
    assert _survivors(result.stdout) == []


def test_a_small_process_pool_works_within_the_limit() -> None:
    code = ("import multiprocessing as mp\n"
            "with mp.get_context('fork').Pool(2) as pool:\n    print(pool.map(abs, [-1, -2]))")
    result = run_python(code, max_processes=3, **FAST)
    assert result.ok and result.stdout == "[1, 2]\n", result.report()


def test_thread_count_used_for_rlimit_nproc_of_other_users() -> None:
    assert user_thread_count(os.getuid()) >= threading.active_count()


def test_background_process_dies_with_the_program() -> None:
    code = WHO + "pid = os.fork()\nif pid == 0:\n    time.sleep(600)\n    os._exit(0)\nprint(pid, flush=True)"
    result = run_python("import time\n" + code, max_processes=2, **FAST)
    assert result.ok and len(result.stdout.split()) == 3, result.report()
    assert _survivors(result.stdout) == []


@pytest.mark.parametrize("layers", LAYERS)
@pytest.mark.parametrize("starter", [
    "import subprocess\nsubprocess.run(['touch', TARGET])",
    "import os\nos.system('touch ' + TARGET)",
    "import os\nos.execv('/usr/bin/touch', ['touch', TARGET])",
    "import os\nos.posix_spawn('/usr/bin/touch', ['touch', TARGET], {})",
])
def test_starting_programs_is_refused(starter: str, layers: dict) -> None:
    target = f"/tmp/escape_{uuid.uuid4().hex}"
    result = run_python(f"TARGET = {target!r}\n{starter}", max_processes=4, **FAST, **layers)
    assert not Path(target).exists()
    if layers.get("audit_hook", True):
        assert any("starting programs" in item for item in result.blocked), result.report()


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="uses the 3.11 signature of _posixsubprocess.fork_exec")
def test_kernel_stops_exec_even_when_the_python_guard_is_bypassed() -> None:
    if not KERNEL:
        pytest.skip("this host cannot apply the kernel layers")
    target = f"/tmp/escape_{uuid.uuid4().hex}"
    code = ("import importlib.util, os\n"
            "m = importlib.util.module_from_spec(importlib.util.find_spec('_posixsubprocess'))\nr, w = os.pipe()\n"
            f"pid = m.fork_exec(['/usr/bin/touch', {target!r}], [b'/usr/bin/touch'], True, (), None, None,"
            " -1, -1, -1, -1, -1, -1, r, w, True, False, 0, None, None, None, -1, None, False)\n"
            "os.waitpid(pid, 0)\nprint(os.read(r, 100))")
    result = run_python(code, max_processes=3, **FAST)
    assert "noexec" in result.stdout, result.report()
    assert not Path(target).exists()


def test_killing_a_host_process_is_refused() -> None:
    victim = subprocess.Popen(["sleep", "60"])
    try:
        result = run_python(f"import os, signal\nos.kill({victim.pid}, signal.SIGKILL)")
        assert victim.poll() is None, "the sandbox killed a host process"
        assert result.exit_code == 1 and any("os.kill" in item for item in result.blocked)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()


# ----------------------------------------------------------------------------------------------- files
WRITERS = {
    "open": "open(TARGET, 'w').write('escaped')",
    "os.open": "import os\nos.write(os.open(TARGET, os.O_CREAT | os.O_WRONLY), b'escaped')",
    "pathlib": "import pathlib\npathlib.Path(TARGET).write_text('escaped')",
    "shutil.copy": "import shutil\nopen('mine', 'w').write('x')\nshutil.copy('mine', TARGET)",
    "rename": "import os\nopen('mine', 'w').write('x')\nos.rename('mine', TARGET)",
    "symlink": "import os\nos.symlink(TARGET, 'link')\nopen('link', 'w').write('escaped')",
    "dir_fd": ("import os\nd = os.open(os.path.dirname(TARGET), os.O_RDONLY)\n"
               "os.open(os.path.basename(TARGET), os.O_CREAT | os.O_WRONLY, dir_fd=d)"),
    "mkdir": "import os\nos.mkdir(TARGET)",
}


@pytest.mark.parametrize("layers", LAYERS)
@pytest.mark.parametrize("where", ["tmp", "repo"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_writing_outside_the_directory_is_refused(writer: str, where: str, layers: dict) -> None:
    if layers.get("audit_hook") is False and not READ_ONLY_FS:
        pytest.skip("this host cannot make the filesystem read-only")
    target = (Path("/tmp") if where == "tmp" else REPO) / f"escape_{uuid.uuid4().hex}"
    try:
        result = run_python(f"TARGET = {str(target)!r}\n{WRITERS[writer]}", **FAST, **layers)
        assert not target.exists(), f"{writer} escaped to {target}"
        assert result.exit_code == 1
        # the kernel's view: read-only mounts, or the target's folder does not exist / may not be touched
        kernel_said = any(error in result.stderr for error in ("Read-only file system", "cross-device",
                                                               "No such file or directory", "Permission denied"))
        if layers.get("kernel_isolation") is False:  # the audit hook alone
            assert "PermissionError: [sandbox]" in result.stderr
            assert result.blocked and "[sandbox] blocked" in result.report()
        elif layers.get("audit_hook") is False:
            assert kernel_said, result.stderr
        else:  # whichever layer stops it first
            assert kernel_said or ("PermissionError: [sandbox]" in result.stderr and result.blocked)
    finally:
        if target.is_dir():
            target.rmdir()
        elif target.exists() or target.is_symlink():
            target.unlink()


# ----------------------------------------------------------------------------------------------- network
class _Server:
    """A real TCP server on 127.0.0.1 that records every connection it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def server():
    srv = _Server()
    yield srv
    srv.close()


@pytest.mark.parametrize("layers", LAYERS)
@pytest.mark.parametrize("client", [
    "import socket\ns = socket.socket()\ns.settimeout(3)\ns.connect(('127.0.0.1', PORT))",
    "import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=3)",
    "import urllib.request\nurllib.request.urlopen(f'http://127.0.0.1:{PORT}/', timeout=3)",
])
def test_socket_to_localhost_is_refused(server: _Server, client: str, layers: dict) -> None:
    if layers.get("audit_hook") is False and not any(x.startswith("namespaces") for x in _PROBE.isolation):
        pytest.skip("this host cannot create a network namespace")
    result = run_python(f"PORT = {server.port}\n{client}", **FAST, **layers)
    assert server.connections == 0
    assert result.exit_code == 1
    # prove the server works: the host itself can connect
    socket.create_connection(("127.0.0.1", server.port), timeout=3).close()
    for _ in range(50):
        if server.connections:
            break
        threading.Event().wait(0.05)
    assert server.connections == 1


def test_raw_memory_access_through_ctypes_is_refused() -> None:
    result = run_python("import ctypes\nctypes.CDLL(None).getpid()")
    assert result.exit_code == 1 and any("ctypes" in item for item in result.blocked)


def test_result_is_a_plain_frozen_record() -> None:
    result = run_python("print(1)")
    assert isinstance(result, SandboxResult) and result.duration_s > 0
    with pytest.raises(AttributeError):
        result.stdout = "changed"  # type: ignore[misc]
