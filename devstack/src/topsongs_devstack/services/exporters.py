"""Prometheus exporters for engines that serve no metrics of their own, each on a loopback address
(127.0.0.1; the cluster profile gives each one of its own)."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

from topsongs_core.settings import PostgresSettings

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.gobuild import go_binary
from topsongs_devstack.process import PlatformError
from topsongs_devstack.secret_files import write_secret

STATSD_MODULE = "github.com/prometheus/statsd_exporter"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (any 127/8 address, ::1, localhost): no TLS needed to reach it."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def postgres(settings: DevstackSettings, pg: PostgresSettings, host: str = "127.0.0.1") -> AppService:
    """prometheus-postgres-exporter for PG_* (as the loader role) on host:DEVSTACK_POSTGRES_EXPORTER_PORT."""
    address = f"{host}:{settings.postgres_exporter_port}"
    password_file = settings.state_dir / "secrets" / "postgres-exporter" / "password"
    sslmode = "disable" if is_loopback(pg.host) else "require"
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
        host=host,
        scrape=address,
    )
    exporter.prepare = lambda: write_secret(password_file, pg.password.get_secret_value())
    return exporter


class StatsdExporter(AppService):
    """statsd_exporter, built from the Go module proxy into the cache on first use."""

    def __init__(self, *args: Any, listen_udp: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # host:port the StatsD senders (the S3 store, Airflow) send to.
        self.listen_udp = listen_udp

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


def statsd(settings: DevstackSettings, host: str = "127.0.0.1") -> StatsdExporter:
    """statsd_exporter: StatsD over UDP on host:DEVSTACK_STATSD_PORT (the S3 store and Airflow send
    there), Prometheus metrics on host:DEVSTACK_STATSD_EXPORTER_PORT."""
    address = f"{host}:{settings.statsd_exporter_port}"
    listen_udp = f"{host}:{settings.statsd_port}"
    return StatsdExporter(
        "statsd-exporter",
        [
            str(StatsdExporter.binary(settings)),
            f"--web.listen-address={address}",
            f"--statsd.listen-udp={listen_udp}",
            "--statsd.listen-tcp=",  # UDP only: nothing here speaks StatsD over TCP
        ],
        f"http://{address}/metrics",
        settings.statsd_exporter_port,
        settings,
        host=host,
        scrape=address,
        listen_udp=listen_udp,
    )
