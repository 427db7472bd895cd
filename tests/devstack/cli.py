"""The devstack CLI run as `make up|status|down` runs it, in a test's own environment."""

from __future__ import annotations

import subprocess
import sys


def devstack(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m topsongs_devstack.cli ARGS` with ``env``; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "topsongs_devstack.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
