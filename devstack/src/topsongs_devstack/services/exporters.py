"""Prometheus exporters for engines that serve no metrics of their own, each on 127.0.0.1."""

from __future__ import annotations

import shutil

from topsongs_core.settings import PostgresSettings

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.process import PlatformError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class DebianExporter(AppService):
    """An exporter from a Debian package (`make setup-system` installs it); healthy when /metrics answers."""

    def install(self) -> None:
        """Check the package is installed."""
        if shutil.which(self.argv[0]) is None:
            raise PlatformError(f"{self.argv[0]} is missing: run `make setup-system`")

    def up(self) -> None:
        """Check the binary, then start it."""
        self.install()
        super().up()


def postgres(settings: DevstackSettings, pg: PostgresSettings) -> AppService:
    """prometheus-postgres-exporter for PG_* (as the loader role) on DEVSTACK_POSTGRES_EXPORTER_PORT."""
    address = f"127.0.0.1:{settings.postgres_exporter_port}"
    return DebianExporter(
        "postgres-exporter",
        ["prometheus-postgres-exporter", f"--web.listen-address={address}"],
        f"http://{address}/metrics",
        settings.postgres_exporter_port,
        settings,
        # The exporter reads its connection from the environment only. The embedded server has no TLS;
        # a remote one gets it required (Go's lib/pq knows no "prefer").
        env={"DATA_SOURCE_NAME": f"{pg.dsn()}?sslmode={'disable' if pg.host in LOOPBACK else 'require'}"},
        scrape=address,
    )
