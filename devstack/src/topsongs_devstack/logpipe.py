"""Writes a managed process's output to its log file, rotating it: `python -m topsongs_devstack.logpipe FILE`.

Every process devstack starts writes into a pipe read by one of these (ManagedProcess.start), so a
stack left running for days keeps at most ``BACKUPS + 1`` files of ``MAX_BYTES`` each per process:
FILE is always the newest (what `make logs` follows with `tail -F`), then FILE.1, FILE.2, ...
It lives until the last writer closes the pipe (the process and any children it forked), and
ignores SIGINT/SIGTERM so that stopping a process group never loses its last lines.
"""

from __future__ import annotations

import logging
import signal
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

MAX_BYTES = 32 * 1024 * 1024
BACKUPS = 3


def copy_rotating(
    source: Path | int, log_file: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> None:
    """Copy lines from ``source`` (a path or a file descriptor) to ``log_file`` until end of file."""
    handler = RotatingFileHandler(log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.terminator = ""  # each line keeps its own newline
    with open(source, "rb") as lines:  # a pipe's read returns what is there: no wait for a full buffer
        for line in lines:
            handler.emit(logging.makeLogRecord({"msg": line.decode("utf-8", errors="replace")}))
    handler.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point: `FILE [MAX_BYTES [BACKUPS]]`; lines come on standard input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    path, *limits = sys.argv[1:] if argv is None else argv
    copy_rotating(sys.stdin.fileno(), Path(path), *map(int, limits))


if __name__ == "__main__":
    main()
