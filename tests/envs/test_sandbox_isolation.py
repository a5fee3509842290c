"""Read-side escapes from the python sandbox, run for real: host files, benchmark files, /proc, inherited secrets.

A runner process plays the env process: it holds secrets (an ``OPENAI_API_KEY`` in its environment, a token in its
command line, one only in its heap) and runs an attack program in the sandbox that walks the filesystem for planted
GSM8K files and a secret file in the host's ``/tmp`` and under ``/home`` (and ``/root``), and reads
``/proc/<pid>/environ|cmdline|maps|mem|status`` of the runner, its parent and every pid it can see. The runner runs
as the current user and, via ``setpriv``, as uid 65534 (it then imports a world-readable copy of the sandbox
modules with ``/usr/bin/python3``). A control run without isolation must find everything (so the attack is real);
every isolated run must find nothing.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import rrm_gym
from rrm_gym.envs.sandbox import SandboxUnavailableError, run_python

PKG = Path(rrm_gym.__file__).resolve().parent
SETPRIV = shutil.which("setpriv")
NOBODY_PYTHON = "/usr/bin/python3"
TAG = secrets.token_hex(4)
QUESTIONS = {f"Fake GSM8K {TAG}-{i}: a baker sells {n} loaves; how many are left?": str(a)
             for i, (n, a) in enumerate([(50, 42), (1400, 1337), (3000, 2718)])}


def _attack(cfg: dict) -> None:
    """Agent code: find gold answers and secrets anywhere it can; print what it found as JSON (stdlib only)."""
    import json
    import os
    import re
    import time

    pattern = re.compile(("RRM" + "SECRET-") + "[0-9a-f]{32}")
    found: dict = {"ran": True, "answers": {}, "secrets": set(), "tried": 0, "files_read": 0, "opened": []}
    deadline = time.monotonic() + cfg["budget_s"]

    def scan(path: str, data: str) -> None:
        found["secrets"].update(pattern.findall(data))
        for line in data.splitlines():
            for question in cfg["questions"]:
                if question in line and "####" in line:
                    try:
                        answer = json.loads(line)["answer"]
                    except (ValueError, KeyError, TypeError):
                        answer = line
                    found["answers"].setdefault(question, answer.split("####")[-1].strip().strip('"}'))

    def read(path: str) -> None:
        found["tried"] += 1
        try:
            with open(path, "rb") as fh:
                data = fh.read(2_000_000).decode("utf-8", "replace")
        except OSError:
            return
        found["files_read"] += 1
        scan(path, data)

    for path in cfg["known"]:  # an attacker who knows exactly where the files are
        read(path)
    seen: set = set()
    roots = [os.path.dirname(p) for p in cfg["known"]] + ["/tmp", "/home", "/root", "/"]
    for root in roots:
        for folder, dirs, files in os.walk(root):
            if time.monotonic() > deadline:
                break
            real = os.path.realpath(folder)
            if real in seen or real.startswith(("/proc", "/sys", "/dev")):
                dirs[:] = []
                continue
            seen.add(real)
            for name in files:
                if name.endswith((".jsonl", ".json", ".txt", ".csv")) or "gsm8k" in name.lower():
                    read(os.path.join(folder, name))
    try:
        pids = {int(p) for p in os.listdir("/proc") if p.isdigit()}
    except OSError:
        pids = set()
    targets = {cfg["host_pid"], os.getppid()} | (pids if cfg["all_pids"] else set())
    for pid in sorted(targets - {os.getpid()}):
        maps = ""
        for name in ("environ", "cmdline", "status", "maps"):
            found["tried"] += 1
            try:
                with open(f"/proc/{pid}/{name}", "rb") as fh:
                    data = fh.read().decode("latin-1")
            except OSError:
                continue
            found["opened"].append(f"{pid}/{name}")
            found["secrets"].update(pattern.findall(data))
            maps = data if name == "maps" else maps
        if pid != cfg["host_pid"] and not cfg["all_pids"]:
            continue
        found["tried"] += 1
        try:
            mem = open(f"/proc/{pid}/mem", "rb")  # noqa: SIM115
        except OSError:
            continue
        found["opened"].append(f"{pid}/mem")
        budget = 256 * 2**20
        with mem:
            for line in maps.splitlines():
                span, perms = line.split()[:2]
                start, end = (int(x, 16) for x in span.split("-"))
                if perms[0] != "r" or end - start > budget or "[vvar" in line or "[vsyscall" in line:
                    continue
                budget -= end - start
                try:
                    mem.seek(start)
                    found["secrets"].update(pattern.findall(mem.read(end - start).decode("latin-1")))
                except (OSError, OverflowError, ValueError):
                    continue
    found["secrets"] = sorted(found["secrets"])
    found["pids_seen"] = sorted(pids)
    print(json.dumps(found))


def _runner() -> None:
    """The env process stand-in: holds secrets, runs each scenario's attack in the sandbox, prints the results."""
    import ctypes
    import json
    import os
    import secrets
    import sys

    with open(sys.argv[1]) as fh:
        cfg = json.load(fh)
    sys.path.insert(0, cfg["copy"])
    from rrm_gym.envs import sandbox
    from rrm_gym.envs.sandbox_fs import make_non_dumpable

    heap_secret = ("RRM" + "SECRET-") + secrets.token_hex(16)  # only ever in this process's memory
    make_non_dumpable()
    libc = ctypes.CDLL(None)
    out = {"heap_secret": heap_secret, "pid": os.getpid(), "uid": os.getuid(), "scenarios": {}}
    for name, kwargs, dumpable in cfg["scenarios"]:
        libc.prctl(4, 1 if dumpable else 0, 0, 0, 0)  # PR_SET_DUMPABLE
        attack = dict(cfg["attack"], host_pid=os.getpid(), all_pids=name != "control")
        if name == "unisolated-nondumpable":  # only /proc matters here: skip the slow unisolated walk
            attack["budget_s"] = 0
        code = cfg["attack_source"] + f"\n_attack({attack!r})\n"
        try:
            result = sandbox.run_python(code, cpu_seconds=20, wall_seconds=40, memory_mb=1024, site_packages=False,
                                        **kwargs)
        except sandbox.SandboxUnavailableError as exc:
            out["scenarios"][name] = {"refused": str(exc)}
            continue
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {"ran": False}
        out["scenarios"][name] = {"report": report, "isolation": list(result.isolation), "stderr": result.stderr[-800:],
                                  "exit": result.exit_code}
    print(json.dumps(out))


SCENARIOS = [  # (name, run_python kwargs, is the host process dumpable)
    ("control", {"kernel_isolation": False, "allow_unisolated": True}, True),
    ("default", {}, True),
    ("namespaces", {"isolation": ["namespaces"]}, True),
    ("landlock", {"isolation": ["landlock"]}, True),
    ("namespaces+landlock", {"isolation": ["namespaces", "landlock"]}, True),
    ("unisolated-nondumpable", {"kernel_isolation": False, "allow_unisolated": True}, False),
]
EXPECTED_LAYER = {"default": "host files hidden", "namespaces": "namespace jail", "landlock": "landlock",
                  "namespaces+landlock": "namespace jail"}


def _world_readable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    for p in [path, *path.parents]:
        if str(p) in ("/", "/tmp", "/home", "/root"):
            break
        p.chmod(0o755 if p.is_dir() else 0o644)
    return path


@pytest.fixture(scope="module")
def planted():
    """A secret file in the host's /tmp and fake GSM8K files under /tmp, /home and the home folder."""
    if not os.access("/tmp", os.W_OK):
        pytest.skip("cannot write to /tmp")
    rows = [{"question": q, "answer": f"Work it out.\n#### {a}"} for q, a in QUESTIONS.items()]
    lines = "".join(json.dumps(row) + "\n" for row in rows)
    file_secret = "RRMSECRET-" + secrets.token_hex(16)
    made = [Path(tempfile.mkdtemp(prefix="rrm-leak-", dir="/tmp"))]
    known = [_world_readable(made[0] / "secret.txt", f"OPENAI_API_KEY={file_secret}\n"),
             _world_readable(made[0] / "datasets" / "gsm8k" / "test.jsonl", lines)]
    for parent in ("/home", os.path.expanduser("~")):
        if os.access(parent, os.W_OK):
            made.append(Path(tempfile.mkdtemp(prefix="rrm-leak-", dir=parent)))
            known.append(_world_readable(made[-1] / ".cache" / "huggingface" / "gsm8k" / "main.jsonl", lines))
    yield {"known": [str(p) for p in known], "file_secret": file_secret, "gsm8k": str(known[1])}
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def copy_dir():
    """The sandbox modules in a world-readable folder (the checkout may not be readable by uid 65534)."""
    root = Path(tempfile.mkdtemp(prefix="rrm-sandbox-copy-"))
    (root / "rrm_gym" / "envs").mkdir(parents=True)
    for init in (root / "rrm_gym" / "__init__.py", root / "rrm_gym" / "envs" / "__init__.py"):
        init.write_text("")
    for module in (PKG / "envs").glob("sandbox*.py"):
        shutil.copy(module, root / "rrm_gym" / "envs" / module.name)
    subprocess.run(["chmod", "-R", "a+rX", str(root)], check=True)
    yield str(root)
    shutil.rmtree(root, ignore_errors=True)


def _run_as(user: str, planted: dict, copy: str) -> dict:
    if user == "nobody":
        if os.geteuid() != 0 or SETPRIV is None:
            pytest.skip("running as uid 65534 needs root and setpriv (util-linux)")
        if not os.access(NOBODY_PYTHON, os.X_OK):
            pytest.skip(f"{NOBODY_PYTHON} is missing")
    cmd_secret, env_secret = "RRMSECRET-" + secrets.token_hex(16), "RRMSECRET-" + secrets.token_hex(16)
    cfg = {"copy": copy, "scenarios": SCENARIOS, "attack_source": inspect.getsource(_attack),
           "attack": {"questions": list(QUESTIONS), "known": planted["known"], "budget_s": 3}}
    cfg_file = Path(copy) / f"cfg-{user}.conf"  # not a name the attack reads
    cfg_file.write_text(json.dumps(cfg))
    cfg_file.chmod(0o644)
    python = NOBODY_PYTHON if user == "nobody" else sys.executable
    prefix = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups"] if user == "nobody" else []
    source = inspect.getsource(_runner) + "\n_runner()\n"
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "OPENAI_API_KEY": env_secret, "LANG": "C.UTF-8"}
    proc = subprocess.run([*prefix, python, "-c", source, str(cfg_file), "--api-key", cmd_secret], env=env,
                          capture_output=True, text=True, timeout=600, cwd="/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(env_secret=env_secret, cmd_secret=cmd_secret, file_secret=planted["file_secret"])
    return out


@functools.cache
def _cached(user: str, planted_json: str, copy: str) -> dict:
    return _run_as(user, json.loads(planted_json), copy)


@pytest.fixture(params=["self", "nobody"])
def runs(request, planted, copy_dir) -> dict:
    return _cached(request.param, json.dumps(planted), copy_dir)


def _scenario(runs: dict, name: str) -> dict:
    item = runs["scenarios"][name]
    assert "refused" not in item, item["refused"]
    assert item["report"].get("ran"), item["stderr"]
    return item


def test_control_without_isolation_finds_everything(runs: dict) -> None:
    """Proof that the attack is real: unisolated, with a dumpable host, it finds every planted secret."""
    report = _scenario(runs, "control")["report"]
    assert report["answers"] == {q: a for q, a in QUESTIONS.items()}, "the GSM8K answers were not found"
    found = set(report["secrets"])
    assert {runs["file_secret"], runs["cmd_secret"], runs["env_secret"], runs["heap_secret"]} <= found


@pytest.mark.parametrize("name", sorted(EXPECTED_LAYER))
def test_isolated_code_finds_nothing(runs: dict, name: str) -> None:
    if "refused" in runs["scenarios"][name]:  # the designed behaviour where no layer confines reads
        pytest.skip(f"{name}: no confining layer on this host: {runs['scenarios'][name]['refused'][:300]}")
    item = _scenario(runs, name)
    if EXPECTED_LAYER[name] not in " ".join(item["isolation"]):
        pytest.skip(f"{name}: this host cannot apply it (layers: {item['isolation']})")
    report, host = item["report"], runs["pid"]
    assert report["tried"] >= len(QUESTIONS) + 4  # it really tried the known paths and the host's /proc files
    assert report["answers"] == {}, f"{name}: gold answers read from disk"
    assert report["secrets"] == [], f"{name}: secrets leaked"
    assert not [f for f in report["opened"] if f.startswith(f"{host}/")], report["opened"]
    assert len(report["pids_seen"]) <= 3, f"{name}: other processes visible: {report['pids_seen']}"
    assert "host files hidden" in item["isolation"]
    assert "private /proc" in item["isolation"] or "no /proc access" in item["isolation"]


def test_non_dumpable_host_hides_its_memory_and_environment_from_the_same_user(runs: dict) -> None:
    """Without any isolation (opted out), the non-dumpable env process still keeps environ, maps and mem."""
    report = _scenario(runs, "unisolated-nondumpable")["report"]
    if runs["uid"] == 0:
        pytest.skip("root reads non-dumpable processes anyway (CAP_SYS_PTRACE); the uid 65534 run checks this")
    host = runs["pid"]
    assert not {f"{host}/environ", f"{host}/maps", f"{host}/mem"} & set(report["opened"])
    assert runs["env_secret"] not in report["secrets"] and runs["heap_secret"] not in report["secrets"]
    assert f"{host}/cmdline" in report["opened"]  # documented: the command line stays readable


def test_python_tool_cannot_read_the_gsm8k_file_the_env_loaded(planted: dict) -> None:
    """End to end: the Math env's own benchmark file, 3 tasks, an agent that reads the answer from disk."""
    import gymnasium as gym

    env = gym.make("rrm/Math-v0", dataset="gsm8k", path=planted["gsm8k"]).unwrapped
    code = inspect.getsource(_attack) + "\n_attack(" + repr({"questions": list(QUESTIONS), "known": planted["known"],
                                                             "budget_s": 3, "host_pid": os.getpid(),
                                                             "all_pids": True}) + ")\n"
    control = run_python(code, kernel_isolation=False, allow_unisolated=True, wall_seconds=30, cpu_seconds=20)
    assert len(json.loads(control.stdout)["answers"]) == 3  # unisolated, the same code finds all three
    rewarded = 0
    for task_id in env.task_ids():
        env.reset(options={"task_id": task_id})
        obs, *_ = env.step('<tool_call>' + json.dumps({"name": "python", "arguments": {"code": code}}) + '</tool_call>')
        answers = json.loads(next(line for line in obs.splitlines() if line.startswith('{"ran"')))["answers"]
        guess = next(iter(answers.values()), "0")
        _, reward, *_ = env.step(f"\\boxed{{{guess}}}")
        rewarded += reward > 0
    assert rewarded == 0, f"{rewarded}/3 GSM8K tasks rewarded by reading the benchmark file"


def test_refuses_to_run_without_a_confining_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = Path("/tmp") / f"rrm-ran-{secrets.token_hex(8)}"
    code = f"open({str(marker)!r}, 'w').write('ran')"
    monkeypatch.delenv("RRM_GYM_ALLOW_UNISOLATED_SANDBOX", raising=False)
    for kwargs in ({"kernel_isolation": False}, {"isolation": ()}):
        with pytest.raises(SandboxUnavailableError, match="could read every file this process can read"):
            run_python(code, audit_hook=False, **kwargs)
        assert not marker.exists(), "the code ran although the sandbox refused"
    monkeypatch.setenv("RRM_GYM_ALLOW_UNISOLATED_SANDBOX", "1")
    result = run_python("print('unisolated')", kernel_isolation=False)
    assert result.ok and result.stdout == "unisolated\n"
    assert "host files hidden" not in result.isolation


def test_default_run_names_the_layers_in_force() -> None:
    code = "import os\nopen('mine.txt', 'w').write('ok')\nprint(open('mine.txt').read(), dict(os.environ))"
    result = run_python(code)
    assert result.ok, result.report()
    assert result.stdout.startswith("ok ") and "OPENAI" not in result.stdout
    assert {"host files hidden", "seccomp", "audit hook", "clean environment"} <= set(result.isolation)
    assert "private /proc" in result.isolation or "no /proc access" in result.isolation


def test_a_bwrap_that_cannot_start_falls_back_to_the_jail(tmp_path: Path) -> None:
    """A host where ``bwrap`` exists but may not create namespaces (e.g. a container): the jail takes over."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    code = ("from rrm_gym.envs.sandbox import run_python\nr = run_python('print(6 * 7)')\n"
            "print(r.stdout.strip(), '|', ';'.join(r.isolation), '|', ';'.join(r.notes))")
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out, layers, notes = (part.strip() for part in proc.stdout.split("|"))
    assert out == "42" and "No permissions" in notes and "bubblewrap" not in layers.split(";")
    if "namespace jail" not in layers and "landlock" not in layers:
        pytest.skip(f"no fallback layer on this host: {layers}")
    assert "host files hidden" in layers
