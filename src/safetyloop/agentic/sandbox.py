"""A sandbox for code and shell tools: run untrusted code with no network, no writes outside a
private folder, bounded CPU, memory, processes, file size and wall time, and nothing left alive.

An agent's `run_python` or `run_shell` call executes what the model wrote. The isolation comes
from the kernel, not from inspecting the code: Linux namespaces (network, mount, PID, IPC, UTS),
a read-only view of every mount but the work folder, resource limits, an unprivileged uid of the
sandbox's own with no capabilities, and PID 1 of a fresh PID namespace whose exit kills every
process left in it. The child side lives in `_sandbox_child.py` (standard library only); what is
and is not isolated is written down in docs/agentic-sandbox.md.

When the kernel refuses the namespaces (no root and no user namespaces), `run_in_sandbox` raises
`SandboxUnavailable`: it never runs code unsandboxed.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from safetyloop.errors import SafetyloopError

__all__ = [
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "SandboxUnavailable",
    "run_in_sandbox",
    "run_python",
    "run_shell",
]

_CHILD = Path(__file__).with_name("_sandbox_child.py")
#: The sandbox's uid is this plus its keeper's pid (when the runner is root).
UID_BASE = 100_000_000
#: Seconds to wait for the pipes to close after the sandbox was killed.
_DRAIN_GRACE_S = 5.0
#: Longest code accepted: it travels as one argument (the kernel's limit is 128 KiB).
MAX_CODE_BYTES = 100_000
_SHELL = "/bin/sh"


class SandboxError(SafetyloopError):
    """The sandbox itself failed (not the code it ran)."""


class SandboxUnavailable(SandboxError):
    """This machine cannot isolate code (no root and no user namespaces, an old kernel...)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            hint="run as root, or enable unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1); Linux 5.12 or later is needed",
        )


class SandboxLimits(BaseModel):
    """What one sandboxed run may use. Each bound is enforced by the kernel."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Wall-clock seconds before everything in the sandbox is killed.
    wall_s: float = Field(default=10.0, gt=0)
    #: CPU seconds (RLIMIT_CPU): SIGXCPU at the limit, SIGKILL one second later.
    cpu_s: int = Field(default=5, ge=1)
    #: Address space per process in MiB (RLIMIT_AS): allocations beyond it fail.
    memory_mb: int = Field(default=512, ge=32)
    #: Processes (threads included) the sandbox's uid may have at once (RLIMIT_NPROC).
    processes: int = Field(default=32, ge=1)
    #: Largest file it may write, in MiB (RLIMIT_FSIZE).
    file_mb: int = Field(default=16, ge=1)
    #: Open file descriptors per process (RLIMIT_NOFILE).
    open_files: int = Field(default=64, ge=8)
    #: Bytes kept of stdout and of stderr each; the rest is read and dropped.
    output_bytes: int = Field(default=64_000, ge=1)


class SandboxResult(BaseModel):
    """How a sandboxed run ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: Literal["python", "shell"]
    stdout: str
    stderr: str
    #: The program's exit status; None when a signal ended it.
    exit_code: int | None
    #: The signal that ended it ("SIGKILL", "SIGXCPU"...), if one did.
    signal: str | None = None
    #: Whether the wall-time limit ran out (everything was then killed with SIGKILL).
    timed_out: bool = False
    wall_s: float
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    #: The sandbox's PID namespace (`pid:[inode]`): every process it ran was in it.
    pid_namespace: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the program ran to its end and exited 0."""
        return self.exit_code == 0 and not self.timed_out


def run_in_sandbox(
    code: str,
    *,
    language: Literal["python", "shell"],
    limits: SandboxLimits | None = None,
    workdir: Path | None = None,
) -> SandboxResult:
    """Run `code` in a fresh sandbox and return what it printed and how it ended.

    Args:
        code: Python source or a shell command line (`/bin/sh -c`).
        language: "python" (the system's interpreter, isolated mode) or "shell".
        limits: Bounds on the run; the defaults suit a tool call.
        workdir: The one writable folder (its contents are the code's to read and change).
            By default a new temporary folder, removed afterwards; a given folder is kept, and
            when the runner is root it is handed to the sandbox's uid.

    Raises:
        SandboxUnavailable: The kernel refused to isolate the code; nothing was run.
        SandboxError: The sandbox broke down without reporting how the code ended.
    """
    limits = limits or SandboxLimits()
    if len(code.encode("utf-8")) > MAX_CODE_BYTES:
        raise SandboxError(f"code is longer than {MAX_CODE_BYTES} bytes")
    if "\0" in code:
        raise SandboxError("code contains a NUL character")
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable("the sandbox needs Linux namespaces")
    own_dir = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="safetyloop-sandbox-") if workdir is None else workdir)
    folder = folder.resolve()
    try:
        return _run(code, language, limits, folder)
    finally:
        if own_dir:
            shutil.rmtree(folder, ignore_errors=True)


def _run(
    code: str, language: Literal["python", "shell"], limits: SandboxLimits, folder: Path
) -> SandboxResult:
    argv = [_python(), "-I", "-c", code] if language == "python" else [_SHELL, "-c", code]
    config = {
        "runner_pid": os.getpid(),
        "workdir": str(folder),
        "argv": argv,
        "env": {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(folder),
            "TMPDIR": str(folder),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        "uid_base": UID_BASE,
        "limits": {
            "cpu_s": limits.cpu_s,
            "memory_bytes": limits.memory_mb * 2**20,
            "processes": limits.processes,
            "file_bytes": limits.file_mb * 2**20,
            "open_files": limits.open_files,
        },
    }
    status_r, status_w = os.pipe()
    started = time.monotonic()
    try:
        keeper = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_CHILD), str(status_w)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(status_w,),
            start_new_session=True,  # its own process group, killed whole on timeout
            env={"PATH": "/usr/bin:/bin"},
        )
    finally:
        os.close(status_w)
    try:
        assert keeper.stdin is not None
        keeper.stdin.write(json.dumps(config).encode())
        keeper.stdin.close()
        output = _collect(keeper, status_r, started + limits.wall_s, limits.output_bytes)
    finally:
        _kill(keeper)
        os.close(status_r)
    return _result(language, output, time.monotonic() - started)


class _Output(BaseModel):
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    events: list[dict[str, object]] = Field(default_factory=list)
    timed_out: bool = False


class _Init:
    """A handle on the sandbox's PID 1 (a pidfd, so a recycled pid is never signalled)."""

    def __init__(self) -> None:
        self.fd: int | None = None

    def open(self, event: dict[str, object]) -> None:
        pid, namespace = int(str(event["init_pid"])), str(event["pid_ns"])
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return  # already gone
        try:
            same = os.readlink(f"/proc/{pid}/ns/pid") == namespace
        except OSError:
            same = False
        if same:
            self.fd = fd
        else:
            os.close(fd)

    def kill(self) -> bool:
        """SIGKILL the init: the kernel kills the rest of the namespace, and the keeper, which
        reaps it, exits only once the namespace is empty. False when there is no init to kill."""
        if self.fd is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.fd, signal.SIGKILL)
        return True

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _collect(
    keeper: subprocess.Popen[bytes], status_fd: int, deadline: float, keep: int
) -> _Output:
    """Read stdout, stderr and the status pipe until all close, killing the sandbox at
    `deadline`; keep at most `keep` bytes of each stream (an output flood costs no memory)."""
    assert keeper.stdout is not None and keeper.stderr is not None
    streams = {keeper.stdout.fileno(): "stdout", keeper.stderr.fileno(): "stderr"}
    buffers = {"stdout": bytearray(), "stderr": bytearray()}
    truncated = {"stdout": False, "stderr": False}
    status = bytearray()
    out = _Output()
    init = _Init()
    try:
        with selectors.DefaultSelector() as selector:
            for fd, name in streams.items():
                selector.register(fd, selectors.EVENT_READ, name)
            selector.register(status_fd, selectors.EVENT_READ, "status")
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0 and not out.timed_out:
                    out.timed_out = True
                    if not init.kill():
                        _kill_group(keeper)
                    deadline = time.monotonic() + _DRAIN_GRACE_S
                    continue
                if remaining <= 0:
                    break  # killed, and still something holds a pipe open: stop reading
                for key, _ in selector.select(timeout=min(remaining, 0.5)):
                    chunk = os.read(key.fd, 65536)
                    name = str(key.data)
                    if not chunk:
                        selector.unregister(key.fd)
                    elif name == "status":
                        status.extend(chunk)
                        while b"\n" in status:
                            line, _, rest = bytes(status).partition(b"\n")
                            status[:] = rest
                            event = json.loads(line)
                            out.events.append(event)
                            if event.get("event") == "started":
                                init.open(event)
                    else:
                        buffer = buffers[name]
                        room = max(keep - len(buffer), 0)
                        truncated[name] = truncated[name] or len(chunk) > room
                        buffer.extend(chunk[:room])
        if out.timed_out:
            # the keeper exits once it has reaped the init, i.e. once the namespace is empty
            with contextlib.suppress(subprocess.TimeoutExpired):
                keeper.wait(timeout=_DRAIN_GRACE_S)
    finally:
        init.close()
    if status.strip():
        out.events.append(json.loads(status))  # a last line without its newline
    out.stdout, out.stderr = bytes(buffers["stdout"]), bytes(buffers["stderr"])
    out.stdout_truncated, out.stderr_truncated = truncated["stdout"], truncated["stderr"]
    return out


def _kill_group(keeper: subprocess.Popen[bytes]) -> None:
    """SIGKILL the keeper's process group: its init (PDEATHSIG), and with it the whole PID
    namespace, follow."""
    if keeper.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(keeper.pid, signal.SIGKILL)


def _kill(keeper: subprocess.Popen[bytes]) -> None:
    """Kill whatever is left, reap the keeper and close its pipes."""
    _kill_group(keeper)
    keeper.wait()
    for stream in (keeper.stdout, keeper.stderr, keeper.stdin):
        if stream is not None:
            stream.close()


def _result(language: Literal["python", "shell"], out: _Output, wall: float) -> SandboxResult:
    events = {str(e.get("event")): e for e in out.events}
    if "error" in events:
        raise SandboxUnavailable(str(events["error"].get("message")))
    ended = events.get("exited")
    started = events.get("started", {})
    if ended is None and not out.timed_out:
        detail = out.stderr.decode("utf-8", "replace")[-500:]
        raise SandboxError(f"the sandbox ended without reporting how its program ended: {detail}")
    exit_code: int | None = None
    signal_name: str | None = None
    if out.timed_out:
        signal_name = "SIGKILL"
    elif ended is not None and "signal" in ended:
        signal_name = signal.Signals(int(str(ended["signal"]))).name
    elif ended is not None:
        exit_code = int(str(ended["returncode"]))
    return SandboxResult(
        language=language,
        stdout=out.stdout.decode("utf-8", "replace"),
        stderr=out.stderr.decode("utf-8", "replace"),
        exit_code=exit_code,
        signal=signal_name,
        timed_out=out.timed_out,
        wall_s=round(wall, 3),
        stdout_truncated=out.stdout_truncated,
        stderr_truncated=out.stderr_truncated,
        pid_namespace=str(started["pid_ns"]) if "pid_ns" in started else None,
    )


def _reachable_by_others(path: Path) -> bool:
    """Whether a process of another uid can execute `path` (each folder above it searchable)."""
    try:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in path.parents)
    except OSError:
        return False


def _python() -> str:
    """The interpreter the sandbox runs: this one's real binary (outside any virtualenv, so the
    code sees the standard library only), or the system's when the sandbox's uid could not
    reach it (an interpreter under /root)."""
    candidates = [Path(os.path.realpath(sys.executable))]
    system = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if system:
        candidates.append(Path(os.path.realpath(system)))
    if os.geteuid() != 0:
        return str(candidates[0])
    for candidate in candidates:
        if _reachable_by_others(candidate):
            return str(candidate)
    raise SandboxUnavailable(
        f"no Python interpreter the sandbox's uid may run ({', '.join(map(str, candidates))})"
    )


def _tool_text(result: SandboxResult) -> str:
    """What an agent reads back from a code tool: how it ended, then its output."""
    if result.timed_out:
        head = f"timed out after {result.wall_s:.1f} s; killed"
    elif result.signal is not None:
        head = f"killed by {result.signal}"
    else:
        head = f"exit code {result.exit_code}"
    parts = [head]
    for name, text, cut in (
        ("stdout", result.stdout, result.stdout_truncated),
        ("stderr", result.stderr, result.stderr_truncated),
    ):
        if text:
            parts.append(f"--- {name}{' (truncated)' if cut else ''} ---\n{text.rstrip()}")
    return "\n".join(parts)


def run_python(code: str) -> str:
    """Run Python code in a sandbox (no network, only its own folder writable, 10 s) and return
    its exit status, stdout and stderr."""
    return _tool_text(run_in_sandbox(code, language="python"))


def run_shell(command: str) -> str:
    """Run a shell command in a sandbox (no network, only its own folder writable, 10 s) and
    return its exit status, stdout and stderr."""
    return _tool_text(run_in_sandbox(command, language="shell"))
