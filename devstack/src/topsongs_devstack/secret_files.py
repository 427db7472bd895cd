"""Generated secrets on disk: files only their owner can read, in folders only their owner can enter.

Secrets reach the processes devstack starts as files too: a variable of ``SECRET_VARIABLES`` in a
child's environment is written to a file and replaced by ``<VARIABLE>_FILE`` (every settings class
reads both, topsongs_core.secret_settings), so no secret value sits in `/proc/<pid>/environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from topsongs_core.secret_settings import FILE_SUFFIX

# Every variable a SecretStr setting of this repository reads (tests/devstack/test_secrets.py keeps
# the list equal to the settings classes).
SECRET_VARIABLES = (
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_KEY_PASSWORD",
    "PG_PASSWORD",
    "PG_READER_PASSWORD",
    "S3_SECRET_ACCESS_KEY",
    "INGEST_API_KEY",
    "DASHBOARD_HISTORY_REDIS_URL",
    "SIMULATOR_OPENAI_API_KEY",
    "OPENAI_API_KEY",
)


def private_dir(path: Path) -> Path:
    """``path`` made if missing, and only its owner may enter it (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_secret(path: Path, value: str) -> None:
    """Write ``value`` to a file only its owner can read (created 0600, never world-readable on the way)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)


def as_files(env: Mapping[str, str], folder: Path) -> dict[str, str]:
    """``env`` with each secret variable's value moved into a file of ``folder`` (0600), which its
    ``<VARIABLE>_FILE`` names instead; an empty value is left alone (the settings refuse it)."""
    private_dir(folder.parent)
    out = dict(env)
    for variable in SECRET_VARIABLES:
        if out.get(variable):
            path = folder / variable
            write_secret(path, out.pop(variable))
            out[variable + FILE_SUFFIX] = str(path)
    return out
