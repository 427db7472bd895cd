"""The S3-compatible object store: versitygw (Apache-2.0) over a local directory."""

from __future__ import annotations

from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError
from topsongs_charts.lake_accounts import LakePrefixes
from topsongs_core.objectstore import s3_client
from topsongs_core.settings import S3Settings

from topsongs_devstack.component import Status
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.gobuild import go_binary
from topsongs_devstack.lake_accounts import LakeAccounts
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open, wait_until
from topsongs_devstack.secret_files import private_dir
from topsongs_devstack.services.exporters import StatsdExporter

MODULE = "github.com/versity/versitygw/cmd/versitygw"

__all__ = ["ObjectStore", "s3_client"]


class ObjectStore:
    """versitygw serving ``.state/s3`` over S3; AWS S3 or MinIO by setting S3_ENDPOINT_URL."""

    name = "s3"

    def __init__(
        self, settings: DevstackSettings, s3: S3Settings, *, statsd: StatsdExporter | None = None
    ) -> None:
        self.settings = settings
        # The StatsD server for the gateway's request metrics (devstack's statsd_exporter), used when
        # it runs: without a listener the gateway logs an error for every request.
        self.statsd = statsd
        self.s3 = s3
        url = urlparse(s3.endpoint_url or "")
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.root = settings.state_dir / "s3"
        # versitygw's accounts (users.json, 0600): beside the buckets' folder, never in it.
        self.iam_dir = settings.state_dir / "s3-iam"
        self.accounts = lake_accounts(settings, s3)
        self.binary = settings.cache_dir / "bin" / f"versitygw-{settings.versitygw_version}"
        self.proc = ManagedProcess("s3", settings.run_dir, settings.logs_dir)

    def install(self) -> None:
        """Build versitygw from the Go module proxy into the cache (first run only)."""
        go_binary(MODULE, self.settings.versitygw_version, self.binary, "2")

    def up(self) -> None:
        """Start the gateway, create the lake bucket, its accounts and its policy (idempotent)."""
        if self.proc.pid() is None:
            if port_open(self.host, self.port):
                raise PlatformError(
                    f"port {self.port} is taken by another process; stop it or set S3_ENDPOINT_URL"
                )
            self.install()
            self.root.mkdir(parents=True, exist_ok=True)
            private_dir(self.iam_dir)
            print(f"[devstack] starting versitygw S3 on {self.s3.endpoint_url}", flush=True)
            metrics = []
            if self.statsd is not None and self.statsd.status().healthy:
                metrics = [
                    "--metrics-statsd-servers",
                    self.statsd.listen_udp,
                    "--metrics-service-name",
                    "versitygw",
                ]
            self.proc.start(
                [
                    str(self.binary),
                    "--port",
                    f"{self.host}:{self.port}",
                    "--iam-dir",
                    str(self.iam_dir),
                    *metrics,
                    "posix",
                    str(self.root),
                ],
                env={
                    "ROOT_ACCESS_KEY": self.s3.access_key_id,
                    "ROOT_SECRET_KEY": self.s3.secret_access_key.get_secret_value(),
                },
            )
        wait_until(lambda: port_open(self.host, self.port), 30, "versitygw", self.proc.log_file)
        client = s3_client(self.s3)
        try:
            client.head_bucket(Bucket=self.s3.bucket)
        except ClientError:
            client.create_bucket(Bucket=self.s3.bucket)
        self.accounts.ensure(client, LakePrefixes.configured(self.s3.bucket))

    def down(self) -> None:
        """Stop the gateway; objects stay on disk."""
        if self.proc.stop():
            print("[devstack] stopped versitygw", flush=True)

    def status(self) -> Status:
        """Healthy when the lake bucket answers HEAD."""
        try:
            s3_client(self.s3).head_bucket(Bucket=self.s3.bucket)
            healthy = True
        except (ClientError, BotoCoreError):
            healthy = False
        return Status(self.name, healthy, f"{self.s3.endpoint_url}/{self.s3.bucket}")


def lake_accounts(settings: DevstackSettings, s3: S3Settings | None = None) -> LakeAccounts:
    """The lake's per-service accounts of this state folder (nothing is written until used)."""
    return LakeAccounts(settings.state_dir / "secrets" / "s3", s3 or S3Settings())
