"""Engines a test may break: a state folder of their own, and SIGKILL of a whole server."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from pathlib import Path

from topsongs_devstack.config import REPO_ROOT


def private_state_dir(prefix: str) -> Path:
    """A new folder under `.state/tests/` (git-ignored, emptied by `make clean-state`), kept after the
    run for its logs. Not pytest's tmp_path: PostgreSQL runs as the `postgres` user, who cannot enter
    pytest's 0700 folders. Short, as haproxy's stats socket path must fit in 108 bytes."""
    parent = REPO_ROOT / ".state" / "tests"
    parent.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    state.chmod(0o755)
    return state


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def sigkill_server(pid: int, timeout: float = 30) -> None:
    """SIGKILL a server and every process it forked, as a crash or an OOM kill of its container does.

    The server is stopped first (SIGSTOP) so that it forks nothing between the listing of its
    children and their kill (PostgreSQL's backends each run in a session of their own)."""
    os.kill(pid, signal.SIGSTOP)
    victims = [pid, *_children(pid)]
    for victim in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    for victim in victims:
        while _alive(victim):
            assert time.monotonic() < deadline, f"process {victim} survived SIGKILL for {timeout}s"
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True until the process is gone and reaped: a zombie still holds its pid, and `pg_ctl status`
    (which devstack's restart asks first) takes a zombie postmaster for a running server."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # ours to reap when we started it (devstack's versitygw)
    return Path(f"/proc/{pid}").exists()
