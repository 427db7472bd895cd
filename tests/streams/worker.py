"""A `python -m streams` worker as a subprocess of the test, with its own data dir and log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class Worker:
    """One `python -m streams worker` process."""

    def __init__(self, env: dict[str, str], data_dir: Path, log: Path) -> None:
        self.env, self.data_dir, self.log = env, data_dir, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        """Spawn the worker, appending to its log."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streams",
                    "--datadir",
                    str(self.data_dir),
                    "worker",
                    "-l",
                    "info",
                    "--without-web",
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no final commit."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
