"""Prometheus exporters for engines that serve no metrics of their own, each on 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

from topsongs_core.settings import PostgresSettings

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.gobuild import go_binary
from topsongs_devstack.process import PlatformError
from topsongs_devstack.secret_files import write_secret

STATSD_MODULE = "github.com/prometheus/statsd_exporter"

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
    password_file = settings.state_dir / "secrets" / "postgres-exporter" / "password"
    sslmode = "disable" if pg.host in LOOPBACK else "require"
    exporter = DebianExporter(
        "postgres-exporter",
        ["prometheus-postgres-exporter", f"--web.listen-address={address}"],
        f"http://{address}/metrics",
        settings.postgres_exporter_port,
        settings,
        # The exporter reads its connection from the environment only, the password from a file.
        # The embedded server has no TLS; a remote one gets it required (Go's lib/pq knows no "prefer").
        env={
            "DATA_SOURCE_URI": f"{pg.host}:{pg.port}/{quote(pg.database, safe='')}?sslmode={sslmode}",
            "DATA_SOURCE_USER": pg.user,
            "DATA_SOURCE_PASS_FILE": str(password_file),
        },
        scrape=address,
    )
    exporter.prepare = lambda: write_secret(password_file, pg.password.get_secret_value())
    return exporter


class StatsdExporter(AppService):
    """statsd_exporter, built from the Go module proxy into the cache on first use."""

    def install(self) -> None:
        """Build the binary (first run only)."""
        go_binary(STATSD_MODULE, self.settings.statsd_exporter_version, self.binary(self.settings), "1")

    @staticmethod
    def binary(settings: DevstackSettings) -> Path:
        """Where the build is cached."""
        return settings.cache_dir / "bin" / f"statsd_exporter-{settings.statsd_exporter_version}"

    def up(self) -> None:
        """Build if needed, then start."""
        self.install()
        super().up()


def statsd(settings: DevstackSettings) -> AppService:
    """statsd_exporter: StatsD over UDP on 127.0.0.1:DEVSTACK_STATSD_PORT (the S3 store sends there),
    Prometheus metrics on 127.0.0.1:DEVSTACK_STATSD_EXPORTER_PORT."""
    address = f"127.0.0.1:{settings.statsd_exporter_port}"
    return StatsdExporter(
        "statsd-exporter",
        [
            str(StatsdExporter.binary(settings)),
            f"--web.listen-address={address}",
            f"--statsd.listen-udp=127.0.0.1:{settings.statsd_port}",
            "--statsd.listen-tcp=",  # UDP only: nothing here speaks StatsD over TCP
        ],
        f"http://{address}/metrics",
        settings.statsd_exporter_port,
        settings,
        scrape=address,
    )
