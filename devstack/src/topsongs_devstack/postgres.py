"""A private PostgreSQL cluster from the system's server binaries (Debian's `postgresql`)."""

from __future__ import annotations

import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql
from topsongs_core.settings import PostgresSettings

from topsongs_devstack.component import Status
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.process import PlatformError, port_open, run, wait_until

EXTRA_DATABASES = ("airflow",)


def server_bindir() -> Path:
    """The newest installed PostgreSQL server's bin directory."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PlatformError(
        "no PostgreSQL server binaries found (initdb/pg_ctl); install Debian's `postgresql` package: "
        "apt-get install -y postgresql"
    )


class Postgres:
    """The local cluster; a managed PostgreSQL is used instead by setting PG_HOST/PG_PORT/..."""

    name = "postgres"

    def __init__(self, settings: DevstackSettings, pg: PostgresSettings) -> None:
        self.settings = settings
        self.pg = pg
        self.home = settings.state_dir / "postgres"
        self.data = self.home / "data"
        self.sockets = self.home / "sockets"
        self.log_file = settings.logs_dir / "postgres.log"

    def install(self) -> None:
        """Check that the server binaries exist."""
        server_bindir()

    def _as_owner(self, argv: list[str]) -> list[str]:
        # PostgreSQL refuses to run as root; CI and these machines run as root.
        if os.geteuid() != 0:
            return argv
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PlatformError("running as root needs the `postgres` system user") from exc
        return ["runuser", "-u", "postgres", "--", *argv]

    def _chown(self, *paths: Path) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            for path in paths:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _running(self) -> bool:
        bindir = server_bindir()
        if not (self.data / "PG_VERSION").exists():
            return False
        result = subprocess.run(
            self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
        )
        return result.returncode == 0

    def up(self) -> None:
        """initdb once, start on the configured port, create roles and databases."""
        bindir = server_bindir()
        for path in (self.home, self.sockets, self.log_file.parent):
            path.mkdir(parents=True, exist_ok=True)
        self._chown(self.home, self.sockets)
        self._superuser_password()
        if not (self.data / "PG_VERSION").exists():
            print(f"[devstack] initdb PostgreSQL cluster in {self.data}", flush=True)
            run(
                self._as_owner(
                    [
                        str(bindir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "--auth-local=scram-sha-256",
                        "--auth-host=scram-sha-256",
                        f"--pwfile={self._superuser_password_file()}",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                    ]
                ),
                "initdb",
            )
        if not self._running():
            if port_open(self.pg.host, self.pg.port):
                raise PlatformError(
                    f"port {self.pg.port} is taken by another process; stop it or set PG_PORT"
                )
            if not self.log_file.exists():
                self.log_file.touch()
            self._chown(self.log_file)
            print(f"[devstack] starting PostgreSQL on {self.pg.host}:{self.pg.port}", flush=True)
            options = (
                f"-p {self.pg.port} -c listen_addresses={self.pg.host} "
                f"-c unix_socket_directories={self.sockets} -c max_connections=200 "
                "-c shared_buffers=256MB -c fsync=on -c synchronous_commit=on"
            )
            run(
                self._as_owner(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log_file),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                ),
                "pg_ctl start",
            )
        wait_until(lambda: port_open(self.pg.host, self.pg.port), 60, "PostgreSQL", self.log_file)
        self._require_local_passwords()
        self._bootstrap()

    def _superuser_password_file(self) -> Path:
        return self.home / "superuser.password"

    def _superuser_password(self) -> str:
        """The superuser's password, made once per cluster (0600, only devstack's admin steps use it;
        a cluster still on `trust` ignores it until its next up converts it)."""
        path = self._superuser_password_file()
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
            # initdb reads it as the server's owner.
            self._chown(path)
        return path.read_text().strip()

    def _require_local_passwords(self) -> None:
        """A cluster made before local access needed a password: give the superuser one, then turn
        the socket's `trust` into scram-sha-256 (reloaded, no restart)."""
        hba = self.data / "pg_hba.conf"
        rules = hba.read_text()
        local_trust = re.compile(r"^(local\s.*\s)trust\s*$", re.MULTILINE)
        if not local_trust.search(rules):
            return
        with self._superuser() as conn:
            conn.execute(
                sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(self._superuser_password()))
            )
            hba.write_text(local_trust.sub(r"\1scram-sha-256", rules))
            conn.execute("SELECT pg_reload_conf()")
        print("[devstack] PostgreSQL's local socket now needs a password", flush=True)

    def _superuser(self) -> psycopg.Connection:
        """The superuser, through this state dir's socket: only this checkout's server has it."""
        socket = self.sockets / f".s.PGSQL.{self.pg.port}"
        if not socket.exists() and port_open(self.pg.host, self.pg.port):
            raise PlatformError(
                f"a PostgreSQL answers on {self.pg.host}:{self.pg.port} but has no socket in {self.sockets}:"
                " another checkout's or one started by hand. Stop it (`make down` where it was started)"
                " or give this one PG_PORT"
            )
        return psycopg.connect(
            host=str(self.sockets),
            port=self.pg.port,
            user="postgres",
            password=self._superuser_password(),
            dbname="postgres",
            autocommit=True,
        )

    def create_database(self, name: str) -> None:
        """A new, empty database owned by the loader role (e.g. a test's private Airflow metadata)."""
        with self._superuser() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(self.pg.user)
                )
            )

    def drop_database(self, name: str) -> None:
        """Drop a database and close its sessions."""
        with self._superuser() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _bootstrap(self) -> None:
        """Roles and databases (idempotent); the schema itself comes from migrations."""
        with self._superuser() as conn:
            for user, password in (
                (self.pg.user, self.pg.password),
                (self.pg.reader_user, self.pg.reader_password),
            ):
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(
                    sql.SQL(f"{verb} ROLE {{}} LOGIN PASSWORD {{}}").format(
                        sql.Identifier(user), sql.Literal(password.get_secret_value())
                    )
                )
            for db in (self.pg.database, *EXTRA_DATABASES):
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {}").format(
                            sql.Identifier(db), sql.Identifier(self.pg.user)
                        )
                    )

    def down(self) -> None:
        """Fast shutdown, keeping the data directory."""
        if self._running():
            run(
                self._as_owner(
                    [
                        str(server_bindir() / "pg_ctl"),
                        "-D",
                        str(self.data),
                        "-m",
                        "fast",
                        "-w",
                        "stop",
                    ]
                ),
                "pg_ctl stop",
            )
            print("[devstack] stopped PostgreSQL", flush=True)

    def status(self) -> Status:
        """Healthy when the loader role can run a query."""
        try:
            with psycopg.connect(self.pg.dsn(), connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            healthy = True
        except psycopg.Error:
            healthy = False
        return Status(self.name, healthy, f"postgresql://{self.pg.host}:{self.pg.port}/{self.pg.database}")
