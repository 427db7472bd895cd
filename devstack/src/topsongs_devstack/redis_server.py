"""Debian's redis-server as a managed process: password-protected, no persistence.

The cluster profile runs one as Airflow's Celery broker, the single-node platform one as
dashboard-api's shared history cache; both are this class with their own place and settings.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from pydantic import SecretStr

from topsongs_devstack.component import Status
from topsongs_devstack.process import ManagedProcess, PlatformError, port_open
from topsongs_devstack.secret_files import write_secret


def redis_password(secrets_dir: Path) -> SecretStr:
    """redis' `requirepass`, generated on first use into ``secrets_dir``."""
    path = secrets_dir / "redis.password"
    if not path.exists():
        write_secret(path, secrets.token_urlsafe(24))
    return SecretStr(path.read_text().strip())


class RedisServer:
    """One redis-server on host:port, its config and working folder in ``state_dir``."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        state_dir: Path,
        secrets_dir: Path,
        run_dir: Path,
        logs_dir: Path,
        start_timeout_s: float,
        detail: str,
        config: Sequence[str] = (),
        label: str = "devstack",
    ) -> None:
        self.name, self.host, self.port = name, host, port
        self.dir, self.secrets_dir = state_dir, secrets_dir
        self.start_timeout_s, self.detail, self.config, self.label = start_timeout_s, detail, config, label
        self.proc = ManagedProcess(name, run_dir, logs_dir)

    def password(self) -> SecretStr:
        """The password clients give (generated on first use)."""
        return redis_password(self.secrets_dir)

    def url(self, db: int = 0) -> str:
        """A redis:// URL, password included (for a child's environment or a client; never print it)."""
        password = quote(self.password().get_secret_value(), safe="")
        return f"redis://:{password}@{self.host}:{self.port}/{db}"

    def _config(self) -> Path:
        # The password goes in a 0600 file, not on the command line, where `ps` would show it.
        config = self.dir / "redis.conf"
        self.dir.mkdir(parents=True, exist_ok=True)
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            f"dir {self.dir}",
            f"requirepass {self.password().get_secret_value()}",
            'save ""',
            "appendonly no",
            "daemonize no",
            'logfile ""',
            *self.config,
            "",
        ]
        write_secret(config, "\n".join(lines))
        return config

    def install(self) -> None:
        """redis-server is Debian's (scripts/setup-system.sh)."""
        if shutil.which("redis-server") is None:
            raise PlatformError(
                "redis-server is missing: run scripts/setup-system.sh (Debian's redis-server)"
            )

    def ping(self) -> bool:
        """True when redis answers PING with this password."""
        if shutil.which("redis-cli") is None or not port_open(self.host, self.port):
            return False
        # REDISCLI_AUTH keeps the password off the command line.
        env = {**os.environ, "REDISCLI_AUTH": self.password().get_secret_value()}
        argv = ["redis-cli", "-h", self.host, "-p", str(self.port), "--no-auth-warning", "ping"]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=5)
        except subprocess.TimeoutExpired:
            return False
        return result.stdout.strip() == "PONG"

    def up(self) -> None:
        """Start redis-server and wait until it answers."""
        self.install()
        if self.proc.pid() is None:
            if port_open(self.host, self.port):
                raise PlatformError(f"{self.host}:{self.port} for {self.name} is taken by another process")
            print(f"[{self.label}] starting {self.name} on {self.host}:{self.port}", flush=True)
            self.proc.start(["redis-server", str(self._config())])
        self.proc.wait_healthy(self.ping, self.start_timeout_s, self.name)

    def down(self) -> None:
        """Stop redis-server (what it held goes: it keeps nothing on disk)."""
        if self.proc.stop():
            print(f"[{self.label}] stopped {self.name}", flush=True)

    def status(self) -> Status:
        """Healthy when the process runs and answers PING."""
        healthy = self.proc.pid() is not None and self.ping()
        return Status(self.name, healthy, f"redis://{self.host}:{self.port}", self.detail)
