"""Managed processes write through `logpipe`: one log file, rotated, nothing lost at stop."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from topsongs_devstack.process import ManagedProcess, wait_until

CHATTY = (
    "import sys\nfor i in range(40000): print(i, 'x' * 20)\nsys.stdout.flush()\nimport time; time.sleep(60)"
)
LAST_WORDS = (
    "import signal, sys, time\n"
    "def bye(*_): print('stopped cleanly', flush=True); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, bye)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)"
)


def numbered_lines(path: Path) -> list[int]:
    return [int(line.split()[0]) for line in path.read_text().splitlines()]


def test_a_chatty_process_keeps_a_bounded_number_of_bounded_files(tmp_path: Path) -> None:
    proc = ManagedProcess("chatty", tmp_path / "run", tmp_path / "logs", log_max_bytes=100_000, log_backups=2)
    proc.start([sys.executable, "-c", CHATTY])
    try:
        wait_until(
            lambda: proc.log_file.exists() and "39999 " in proc.log_file.read_text(), 60, "the last line"
        )
    finally:
        proc.stop()
    files = sorted(p.name for p in proc.log_file.parent.iterdir())
    assert files == ["chatty.log", "chatty.log.1", "chatty.log.2"]
    assert all(p.stat().st_size <= 100_000 for p in proc.log_file.parent.iterdir())
    # newest last: the kept lines are the run's tail, in order, none missing
    kept = [n for name in reversed(files) for n in numbered_lines(proc.log_file.parent / name)]
    assert kept == list(range(kept[0], 40000))
    assert kept[0] > 0  # the oldest lines were rotated away


def test_lines_written_while_stopping_reach_the_log(tmp_path: Path) -> None:
    proc = ManagedProcess("polite", tmp_path / "run", tmp_path / "logs")
    proc.start([sys.executable, "-c", LAST_WORDS])
    wait_until(lambda: proc.log_file.exists() and "ready" in proc.log_file.read_text(), 30, "ready")
    assert proc.stop()
    deadline = time.monotonic() + 10
    while "stopped cleanly" not in proc.log_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.log_file.read_text().splitlines() == ["ready", "stopped cleanly"]
    assert "stopped cleanly" in proc.tail()
