"""The sandbox's own side: run as a script by `safetyloop.agentic.sandbox`, standard library only.

Three processes, so that every way out ends in the kernel killing everything:

- **keeper** (this script's process): dies with the runner (PR_SET_PDEATHSIG), leaves the host's
  network, mount, PID, IPC and UTS namespaces (`unshare`), forks the init and reports on a status
  pipe; the runner kills its process group on timeout.
- **init** (PID 1 of the new PID namespace): dies with the keeper (PR_SET_PDEATHSIG), makes every
  mount read-only except the work folder, mounts a /proc that shows only the sandbox, forks the
  program, reports how it ended, and exits — and when the PID 1 of a namespace exits, the kernel
  kills every process left in it (a fork bomb's children, a daemon that called setsid...).
- **program**: sets its resource limits, drops to an unprivileged uid with no capabilities and
  no way to gain any (no_new_privs), and execs the interpreter.

The keeper reads its settings as one JSON object on stdin; argv[1] is the status pipe's fd, on
which it writes JSON lines: {"event": "started", "init_pid", "pid_ns"}, then {"event": "exited",
"returncode" | "signal"} or {"event": "error", "message"}.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
AT_RECURSIVE = 0x8000
AT_FDCWD = -100
MOUNT_ATTR_RDONLY = 0x1
SYS_MOUNT_SETATTR = 442  # the same number on every architecture (added in Linux 5.12)

#: Exit codes of the keeper and init when the sandbox could not be set up.
SETUP_FAILED = 125

_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _report(fd: int, **event: Any) -> None:
    os.write(fd, (json.dumps(event) + "\n").encode())


def _die_with_parent() -> None:
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")


def _mount(source: str | None, target: str, fstype: str | None, flags: int) -> None:
    def enc(value: str | None) -> bytes | None:
        return value.encode() if value is not None else None

    result = _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), None)
    _check(result, f"mount {target}")


def _read_only(path: str, *, recursive: bool, read_only: bool = True) -> None:
    """Make the mount at `path` (and every mount under it) read-only, or writable again."""
    flag = ctypes.c_uint64(MOUNT_ATTR_RDONLY).value
    attr = _MountAttr(flag if read_only else 0, 0 if read_only else flag, 0, 0)
    result = _libc.syscall(
        SYS_MOUNT_SETATTR,
        AT_FDCWD,
        path.encode(),
        AT_RECURSIVE if recursive else 0,
        ctypes.byref(attr),
        ctypes.sizeof(attr),
    )
    _check(result, f"mount_setattr({path}, {'read-only' if read_only else 'writable'})")


def _set_limits(limits: dict[str, int]) -> None:
    cpu = limits["cpu_s"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _program(config: dict[str, Any], uid: int, status_fd: int) -> None:
    """In the forked program process: limits, fewer privileges, then exec (never returns)."""
    try:
        os.close(status_fd)
        os.chdir(config["workdir"])
        _set_limits(config["limits"])
        if os.geteuid() == 0:
            # dropping uid 0 for another clears every capability; the uid is one of its own,
            # so RLIMIT_NPROC counts this sandbox's processes only
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        argv = config["argv"]
        os.execve(argv[0], argv, config["env"])
    except OSError as exc:
        os.write(2, f"sandbox: cannot start the program: {exc}\n".encode())
    os._exit(SETUP_FAILED)


def _init(config: dict[str, Any], uid: int, status_fd: int, keeper_alive: int) -> None:
    """PID 1 of the sandbox: mounts, then the program; its exit ends the namespace."""
    try:
        _die_with_parent()
        if select.select([keeper_alive], [], [], 0)[0]:
            os._exit(SETUP_FAILED)  # the keeper died before PDEATHSIG was armed
        # a mount namespace of its own, so the keeper keeps the host's /proc
        _check(_libc.unshare(CLONE_NEWNS), "unshare(mount namespace)")
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we do here reaches the host
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _read_only("/", recursive=True)
        workdir = config["workdir"]
        # the work folder becomes a mount of its own (a bind copies the read-only flag), and
        # the one writable mount in the sandbox
        _mount(workdir, workdir, None, MS_BIND)
        _read_only(workdir, recursive=False, read_only=False)
    except OSError as exc:
        _report(status_fd, event="error", message=f"sandbox setup failed: {exc}")
        os._exit(SETUP_FAILED)
    program = os.fork()
    if program == 0:
        _program(config, uid, status_fd)
    while True:  # as PID 1, reap every orphan until the program itself has ended
        pid, status = os.waitpid(-1, 0)
        if pid == program:
            break
    if os.WIFSIGNALED(status):
        _report(status_fd, event="exited", signal=os.WTERMSIG(status))
    else:
        _report(status_fd, event="exited", returncode=os.WEXITSTATUS(status))
    os._exit(0)


def _enter_namespaces() -> None:
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    root = os.geteuid() == 0
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(flags | (0 if root else CLONE_NEWUSER)), "unshare")
    if not root:
        # without root, a user namespace grants the right to the others; the uid maps to
        # itself, so the program's exec drops the namespace's capabilities as well
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")


def main() -> None:
    status_fd = int(sys.argv[1])
    config = json.loads(sys.stdin.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    try:
        _die_with_parent()
        if os.getppid() != config["runner_pid"]:
            os._exit(SETUP_FAILED)  # the runner died before PDEATHSIG was armed
        _enter_namespaces()
    except OSError as exc:
        _report(status_fd, event="error", message=f"cannot isolate the sandbox: {exc}")
        os._exit(SETUP_FAILED)
    # a uid of its own (pids are below 2**22, so live sandboxes never share one)
    uid = config["uid_base"] + os.getpid() if os.geteuid() == 0 else os.geteuid()
    if os.geteuid() == 0:
        os.chown(config["workdir"], uid, uid)
    alive_r, alive_w = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(alive_w)
        _init(config, uid, status_fd, alive_r)
    os.close(alive_r)
    pid_ns = os.readlink("/proc/self/ns/pid_for_children")
    _report(status_fd, event="started", init_pid=init, pid_ns=pid_ns, uid=uid)
    _, status = os.waitpid(init, 0)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else SETUP_FAILED)


if __name__ == "__main__":
    main()
