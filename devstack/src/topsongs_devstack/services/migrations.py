"""The chart schema's migrations, applied by `make up` (a one-shot component)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from topsongs_devstack.component import Status
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.process import run

# Run through the charts package's CLI so devstack needs no import of the batch code.
_CLI = [sys.executable, "-m", "topsongs_charts.migrate"]


class Migrations:
    """Applies `charts/migrations/*.sql` to the chart database; healthy once a version is applied."""

    name = "migrations"

    def __init__(self, settings: DevstackSettings, env: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        # PG_* of another database than the environment's (the cluster profile's PostgreSQL).
        self.env = {**os.environ, **(env or {})}

    def install(self) -> None:
        """Nothing to fetch: the SQL files are in the repository."""

    def up(self) -> None:
        """Apply pending migrations (idempotent; concurrent runs are serialised by a lock)."""
        result = run(_CLI, "chart schema migrations", cwd=REPO_ROOT, env=self.env)
        print(f"[devstack] migrations: {result.stdout.strip().splitlines()[-1]}", flush=True)

    def down(self) -> None:
        """Nothing runs; the schema stays."""

    def status(self) -> Status:
        """The applied schema version."""
        result = subprocess.run(
            [*_CLI, "--status"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=30, env=self.env
        )
        detail = result.stdout.strip().splitlines()[-1] if result.returncode == 0 else "unreachable"
        healthy = result.returncode == 0 and not detail.endswith("None")
        return Status(self.name, healthy, "charts/migrations", detail)


def service(settings: DevstackSettings) -> Migrations:
    """The migrations component."""
    return Migrations(settings)
