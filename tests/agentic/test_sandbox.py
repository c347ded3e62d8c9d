"""The sandbox holds: each property is attacked by real code, with a control that shows the same
attack succeeds outside it (so a test cannot pass because the attack itself was broken)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from safetyloop.agentic import sandbox
from safetyloop.agentic.sandbox import (
    SandboxLimits,
    SandboxUnavailable,
    run_in_sandbox,
    run_python,
    run_shell,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox uses Linux namespaces"
)

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A folder any uid may reach (pytest's tmp_path sits under a 0700 folder of root's)."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _run_outside(code: str) -> subprocess.CompletedProcess[str]:
    """The same code, unsandboxed: the control."""
    return subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=30
    )


def _pids_in(namespace: str) -> list[int]:
    """Living (non-zombie) processes of the host whose PID namespace is `namespace`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "ns" / "pid") != namespace:
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in {"Z", "X"}:
            found.append(int(entry.name))
    return found


def test_code_runs_and_reports_its_output() -> None:
    result = run_in_sandbox(
        "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)", language="python"
    )
    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)
    assert result.signal is None and not result.timed_out
    shell = run_in_sandbox("echo $((6 * 7)); exit 0", language="shell")
    assert shell.ok and shell.stdout == "42\n"


def test_a_connect_to_loopback_fails() -> None:
    """A port the test listens on (outside the sandbox) cannot be reached from inside it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        code = textwrap.dedent(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
                print("connected")
            except OSError as exc:
                print("refused", exc.errno)
        """)
        control = _run_outside(code)
        assert control.stdout.strip() == "connected", control.stderr
        listener.accept()[0].close()  # the control's connection

        result = run_in_sandbox(code, language="python")
        assert result.stdout.startswith("refused"), result
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing arrived from the sandbox


def test_the_sandbox_has_no_interface_but_a_down_loopback() -> None:
    result = run_in_sandbox("cat /proc/net/dev", language="shell")
    interfaces = [line.split(":")[0].strip() for line in result.stdout.splitlines()[2:]]
    assert interfaces == ["lo"], result.stdout


def test_writes_outside_the_folder_fail_and_inside_work(public_dir: Path) -> None:
    """Outside targets are world-writable, so only the read-only mounts can stop the write
    (not file permissions); the control writes them from outside."""
    work = public_dir / "work"
    work.mkdir()
    outside = public_dir / "outside"
    outside.mkdir()
    outside.chmod(0o777)
    marker = uuid.uuid4().hex
    targets = [str(outside / f"{marker}.txt"), f"/tmp/{marker}.txt", f"/dev/shm/{marker}.txt"]
    code = textwrap.dedent(f"""
        import json
        results = {{}}
        for path in {targets!r} + ["inside.txt"]:
            try:
                with open(path, "w") as f:
                    f.write("written")
                results[path] = "ok"
            except OSError as exc:
                results[path] = exc.errno
        print(json.dumps(results))
    """)
    result = run_in_sandbox(code, language="python", workdir=work)
    assert result.ok, result.stderr
    written = json.loads(result.stdout)
    assert written.pop("inside.txt") == "ok"
    assert (work / "inside.txt").read_text() == "written"
    assert written == dict.fromkeys(targets, 30)  # EROFS, for each of them
    assert not any(Path(p).exists() for p in targets)

    control = _run_outside(code.replace('"inside.txt"', repr(str(public_dir / "control.txt"))))
    assert set(json.loads(control.stdout).values()) == {"ok"}
    for path in targets:
        Path(path).unlink()


def test_the_code_is_not_root_and_cannot_remount() -> None:
    result = run_in_sandbox(
        "id -u; mount -o remount,rw / 2>&1 && echo REMOUNTED; touch /etc/x 2>&1", language="shell"
    )
    assert result.stdout.splitlines()[0] != "0"
    assert "REMOUNTED" not in result.stdout
    assert not Path("/etc/x").exists()


def test_an_infinite_loop_is_stopped_by_the_cpu_limit() -> None:
    started = time.monotonic()
    result = run_in_sandbox(
        "while True: pass", language="python", limits=SandboxLimits(cpu_s=1, wall_s=30)
    )
    assert result.signal in {"SIGXCPU", "SIGKILL"} and not result.timed_out
    assert time.monotonic() - started < 15


def test_a_sleeper_is_stopped_at_the_wall_time_limit() -> None:
    result = run_in_sandbox(
        "import time; time.sleep(60)", language="python", limits=SandboxLimits(wall_s=1.5)
    )
    assert result.timed_out and result.signal == "SIGKILL" and result.exit_code is None
    assert 1.5 <= result.wall_s < 6
    assert result.pid_namespace is not None
    assert _pids_in(result.pid_namespace) == []


def test_the_process_limit_holds() -> None:
    """Children that sleep forever: no more than the limit can exist, and none outlives the
    run (the program exits at once; its sleeping children die with the namespace)."""
    code = textwrap.dedent("""
        import os, time
        made = 0
        while made < 200:
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            made += 1
        print(made)
    """)
    result = run_in_sandbox(code, language="python", limits=SandboxLimits(processes=8))
    assert result.ok, result.stderr
    assert 1 <= int(result.stdout) < 8
    assert result.pid_namespace is not None
    assert _pids_in(result.pid_namespace) == []


def test_a_fork_bomb_is_stopped_and_leaves_nothing() -> None:
    bomb = textwrap.dedent("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    result = run_in_sandbox(
        bomb, language="python", limits=SandboxLimits(wall_s=2, cpu_s=30, processes=16)
    )
    assert result.timed_out
    assert result.wall_s < 8
    assert result.pid_namespace is not None
    assert _pids_in(result.pid_namespace) == []
    shell_bomb = run_in_sandbox(
        "b() { b | b & }; b", language="shell", limits=SandboxLimits(wall_s=2, processes=16)
    )
    assert shell_bomb.pid_namespace is not None
    assert _pids_in(shell_bomb.pid_namespace) == []


def test_a_memory_hog_is_stopped() -> None:
    limits = SandboxLimits(memory_mb=128)
    hog = run_in_sandbox("x = bytearray(1024 * 2**20)", language="python", limits=limits)
    assert hog.exit_code == 1 and "MemoryError" in hog.stderr
    small = run_in_sandbox("x = bytearray(16 * 2**20)", language="python", limits=limits)
    assert small.ok, small.stderr


def test_an_output_flood_is_cut() -> None:
    result = run_in_sandbox(
        "print('x' * 10**7)", language="python", limits=SandboxLimits(output_bytes=1000)
    )
    assert result.ok and result.stdout_truncated and len(result.stdout) == 1000


def _descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every descendant, from /proc's children lists."""
    found: set[tuple[int, str]] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                try:
                    start = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[19]
                except OSError:
                    continue
                found.add((child, start))
                todo.append(child)
    return found


def _alive(pid: int, start: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == start and fields[0] not in {"Z", "X"}


def test_nothing_survives_kill_9_of_the_runner(public_dir: Path) -> None:
    """A runner process starts a sandbox whose code forks sleepers; the runner is killed with
    SIGKILL (no cleanup code of ours runs); every process under it dies within seconds."""
    ready = public_dir / "work"
    ready.mkdir()
    code = (
        "import os, time\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"  # a daemon trying to escape its process group
        "        time.sleep(600)\n"
        "open('ready', 'w').close()\n"
        "time.sleep(600)\n"
    )
    runner_code = (
        "import sys; from pathlib import Path\n"
        "from safetyloop.agentic.sandbox import run_in_sandbox, SandboxLimits\n"
        "run_in_sandbox(sys.argv[1], language='python', workdir=Path(sys.argv[2]),\n"
        "               limits=SandboxLimits(wall_s=300, cpu_s=300))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    runner = subprocess.Popen([sys.executable, "-c", runner_code, code, str(ready)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not (ready / "ready").exists():
            assert runner.poll() is None, "the runner ended early"
            assert time.monotonic() < deadline, "the sandboxed code never got ready"
            time.sleep(0.05)
        processes = _descendants(runner.pid)
        # keeper, init, the program and its three sleepers
        assert len(processes) >= 6, processes
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        deadline = time.monotonic() + 10
        while any(_alive(*p) for p in processes) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p for p in processes if _alive(*p)] == []
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()


def test_a_refused_isolation_raises_and_runs_nothing(
    monkeypatch: pytest.MonkeyPatch, public_dir: Path
) -> None:
    """When the child cannot enter the namespaces it says so, and the caller gets an error."""
    double = public_dir / "child_double.py"
    double.write_text(
        "import json, os, sys\n"
        "sys.stdin.read()\n"
        "message = 'cannot isolate the sandbox: unshare: Operation not permitted'\n"
        "event = json.dumps({'event': 'error', 'message': message}) + '\\n'\n"
        "os.write(int(sys.argv[1]), event.encode())\n"
        "sys.exit(125)\n"
    )
    monkeypatch.setattr(sandbox, "_CHILD", double)
    with pytest.raises(SandboxUnavailable, match="Operation not permitted"):
        run_in_sandbox("print('never')", language="python")


def test_the_agent_tools_report_status_and_output() -> None:
    assert run_shell("echo hello") == "exit code 0\n--- stdout ---\nhello"
    failed = run_python("raise SystemExit('bad input')")
    assert failed.startswith("exit code 1\n--- stderr ---\nbad input")
    net = run_python("import urllib.request; urllib.request.urlopen('http://127.0.0.1:1')")
    assert net.startswith("exit code 1") and "URLError" in net


def _python_for(uid: int) -> str | None:
    """An interpreter of this Python's version that `uid` can run, and whose imports (pydantic
    from this environment) it can read; None when there is none."""
    import pydantic

    site = Path(pydantic.__file__).resolve().parents[1]
    for candidate in (
        "/usr/bin/python3",
        "/usr/local/bin/python3",
        os.path.realpath(sys.executable),
    ):
        probe = (
            subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                user=uid,
                group=uid,
                extra_groups=[],
                env={"PYTHONPATH": f"{SRC}:{site}"},
                capture_output=True,
                text=True,
                check=False,
            )
            if Path(candidate).exists()
            else None
        )
        if probe and probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a runner as another user")
def test_without_root_a_user_namespace_holds_the_same(public_dir: Path) -> None:
    """A runner that is not root (uid 65534) gets the sandbox from a user namespace: no network,
    no writes outside its folder, the wall-time limit."""
    import pydantic

    nobody = 65534
    python = _python_for(nobody)
    if python is None:
        pytest.skip("no interpreter of this version that an unprivileged uid can run")
    work = public_dir / "work"
    work.mkdir()
    os.chown(work, nobody, nobody)
    marker = f"/tmp/{uuid.uuid4().hex}.txt"
    code = textwrap.dedent(f"""
        import json, os, socket
        found = {{"uid": os.getuid()}}
        for path in [{marker!r}, "inside.txt"]:
            try:
                open(path, "w").write("x")
                found[path] = "ok"
            except OSError as exc:
                found[path] = exc.errno
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=2)
            found["net"] = "connected"
        except OSError as exc:
            found["net"] = exc.errno
        print(json.dumps(found))
    """)
    runner = (
        "import sys; from pathlib import Path\n"
        "from safetyloop.agentic.sandbox import run_in_sandbox, SandboxLimits\n"
        "ran = run_in_sandbox(sys.argv[1], language='python', workdir=Path(sys.argv[2]),\n"
        "                     limits=SandboxLimits(processes=500))\n"
        "slept = run_in_sandbox('import time; time.sleep(60)', language='python',\n"
        "                       limits=SandboxLimits(wall_s=1, processes=500))\n"
        "print(ran.stdout, end=''); print(slept.timed_out, slept.wall_s)\n"
    )
    site = Path(pydantic.__file__).resolve().parents[1]
    done = subprocess.run(
        [python, "-c", runner, code, str(work)],
        user=nobody,
        group=nobody,
        extra_groups=[],
        env={"PYTHONPATH": f"{SRC}:{site}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found, timing = done.stdout.splitlines()
    assert json.loads(found) == {"uid": nobody, marker: 30, "inside.txt": "ok", "net": 101}
    assert (work / "inside.txt").read_text() == "x"
    timed_out, wall = timing.split()
    assert timed_out == "True" and float(wall) < 5
