"""Background processes with pid files, log files, port checks and bounded waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from topsongs_devstack import logpipe
from topsongs_devstack.secret_files import as_files


class PlatformError(RuntimeError):
    """A component could not be started, reached or stopped; the message says what to do."""


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """An unused TCP port on loopback (for a server a test or benchmark starts on its own)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by the given processes (all threads), from /proc.

    A process that has already exited counts as zero.
    """
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def split_hostport(address: str, default_port: int) -> tuple[str, int]:
    """``'host:port'`` → (host, port)."""
    host, _, port = address.rpartition(":")
    return (host or address, int(port)) if host else (address, default_port)


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    """Poll ``check`` until it holds, or raise naming ``what`` and the log to read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    hint = f"; see {log}" if log else ""
    raise PlatformError(f"{what} did not become healthy within {timeout:.0f}s{hint}")


class ManagedProcess:
    """One long-running process this project started, tracked by a pid file."""

    def __init__(
        self,
        name: str,
        run_dir: Path,
        logs_dir: Path,
        log_max_bytes: int = logpipe.MAX_BYTES,
        log_backups: int = logpipe.BACKUPS,
        secrets_dir: Path | None = None,
    ) -> None:
        self.name = name
        # Where the secrets of its environment go as files (as_files): beside the pid files by default.
        self.secrets_dir = secrets_dir or run_dir.parent / "secrets" / "processes" / name
        self.log_limits = (log_max_bytes, log_backups)
        self.pid_file = run_dir / f"{name}.pid"
        self.log_file = logs_dir / f"{name}.log"
        self._log_writer: subprocess.Popen[bytes] | None = None

    def pid(self) -> int | None:
        """The recorded pid if that process is still alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        if _is_zombie(pid):
            return None
        return pid

    def start(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> int:
        """Start detached, its output appended to the log file (rotated, `logpipe`); returns the pid.

        Secret variables of its environment (this process's own included) reach it as files."""
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        read_end, write_end = os.pipe()
        try:
            # The log writer has its own session: stopping the process group leaves it to copy the
            # last lines, and it exits when the last writer closes the pipe.
            self._log_writer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "topsongs_devstack.logpipe",
                    str(self.log_file),
                    *map(str, self.log_limits),
                ],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            proc = subprocess.Popen(
                list(argv),
                stdout=write_end,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=as_files({**os.environ, **(env or {})}, self.secrets_dir),
                cwd=cwd,
                start_new_session=True,
            )
        finally:
            os.close(read_end)
            os.close(write_end)
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM the process group, SIGKILL after ``timeout``; True if something was stopped."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            self._drain_log()
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)
        self._drain_log()
        return True

    def _drain_log(self, timeout: float = 2.0) -> None:
        """Once the process is gone, give its log writer (started here) time to copy the last lines."""
        if self._log_writer is not None and self.pid() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._log_writer.wait(timeout=timeout)

    def wait_healthy(self, healthy: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``healthy`` until it holds; raise with the log's tail if the process exits first."""
        wait_until(lambda: healthy() or self.pid() is None, timeout, what, self.log_file)
        if self.pid() is None:
            raise PlatformError(f"{what} exited during start-up:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        """The last lines of the log, for error messages."""
        self._drain_log()
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def run(
    argv: Sequence[str], what: str, env: Mapping[str, str] | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a set-up command to completion, raising with its output when it fails. The secrets of its
    environment (``env``, else this process's) reach it as files that are deleted when it ends."""
    with tempfile.TemporaryDirectory(prefix="devstack-secrets-") as folder:
        files = as_files(os.environ if env is None else env, Path(folder) / "env")
        result = subprocess.run(list(argv), capture_output=True, text=True, env=files, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise PlatformError(f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
