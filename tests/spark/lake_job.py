"""The lake job as a separate process, as `make up` and the cluster profile run it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path


@contextlib.contextmanager
def running_job(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m spark.job` in its own process group, killed with its JVM when the block is left early."""
    with log.open("ab") as out:
        job = subprocess.Popen(
            [sys.executable, "-m", "spark.job"],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield job
    finally:
        # A failed wait (timeout, assertion) must not leave the driver and its JVM running.
        if job.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job.pid, signal.SIGKILL)
        job.wait()
