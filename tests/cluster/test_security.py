"""Security on the cluster profile: refused settings stop each service at start-up naming them, the
dashboard's PostgreSQL role cannot write, and no secret value is in any log file of the run.

Each refused service runs as its own process on its own loopback address (127.0.1.5x, free ports),
with its log in this module's folder, and is stopped at the end, also on failure. How long each took
to exit is printed (`-s`) and in the assertion messages: a figure, not a benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import psycopg
import pytest
from topsongs_charts.lake_accounts import AIRFLOW, LAKE, MONITOR
from topsongs_core.settings import PostgresSettings
from topsongs_devstack.apps import AppService, ingest_service
from topsongs_devstack.cluster.apps import shared_env
from topsongs_devstack.cluster.settings import (
    KAFKA_USERS,
    ClusterSettings,
    kafka_password,
    service_kafka_env,
)
from topsongs_devstack.cluster.spark import lake_env
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.listeners import recorded_pids
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.process import free_port
from topsongs_devstack.secret_files import FILE_SUFFIX
from topsongs_devstack.services import dashboard, streams

from tests.secret_scan import environ

# What a uvicorn or Faust start-up may take on two busy cores, and a Spark driver's JVM with it.
EXIT_BOUND_S = 120.0
LAKE_EXIT_BOUND_S = 240.0
CHART_TABLES = ("top_songs_hourly", "top_songs_daily", "plays_hourly", "chart_loads")
WRONG_PASSWORD = f"wrong-{secrets.token_urlsafe(12)}"
_addresses = count(51)

Launcher = Callable[[DevstackSettings, str, str, Mapping[str, str]], AppService]


def _ingest(devstack: DevstackSettings, name: str, host: str, env: Mapping[str, str]) -> AppService:
    return ingest_service(devstack, name=name, host=host, port=free_port(), env=env)


def _dashboard(devstack: DevstackSettings, name: str, host: str, env: Mapping[str, str]) -> AppService:
    return dashboard.service(devstack, name=name, host=host, port=free_port(), workers=1, env=env)


def _streams(devstack: DevstackSettings, name: str, host: str, env: Mapping[str, str]) -> AppService:
    return streams.service(devstack, name=name, env=env, metrics=(host, free_port()))


def _lake(devstack: DevstackSettings, name: str, host: str, env: Mapping[str, str]) -> AppService:
    # The driver alone (local[1]): the source fails on the driver, and the profile's workers stay
    # with its own lake job. Output and checkpoints in this module's folder, not the lake.
    folder = devstack.state_dir / name
    local = {
        "LAKE_SPARK_MASTER_URL": "local[1]",
        "LAKE_DRIVER_MEMORY": "512m",
        "LAKE_QUARANTINE": "false",
        "LAKE_PLAYS_PATH": (folder / "plays").as_uri(),
        "LAKE_CHECKPOINT_LOCATION": str(folder / "checkpoints"),
        "SPARK_LOCAL_IP": host,
        "LAKE_UI_ENABLED": "false",
    }
    argv = [sys.executable, "-m", "spark.job"]
    return AppService(name, argv, None, None, devstack, env={**env, **local}, host=host)


# The service, its Kafka user, and how it is started.
SERVICES: dict[str, tuple[str, Launcher]] = {
    "ingest": ("ingest", _ingest),
    "dashboard-api": ("dashboard", _dashboard),
    "streams": ("streams", _streams),
    "lake": ("lake", _lake),
}


@dataclass(frozen=True)
class Exited:
    """How a refused process ended: its exit code (None: still running at the bound), when, its log."""

    code: int | None
    seconds: float
    log: str


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory, cluster: ClusterSettings) -> DevstackSettings:
    """Devstack settings whose logs, pid files and data dirs are this module's own folder."""
    folder = tmp_path_factory.mktemp("security")
    return cluster.devstack().model_copy(update={"state_dir": folder, "ingest_workers": 1})


def service_env(cluster: ClusterSettings, service: str, overrides: Mapping[str, str]) -> dict[str, str]:
    """What the profile gives ``service`` (its Kafka user, PostgreSQL, the app id), then ``overrides``."""
    user, _ = SERVICES[service]
    env = {**shared_env(cluster), **service_kafka_env(cluster, user)}
    if service == "lake":
        env = lake_env(cluster, env)
    return {**env, **overrides}


def _exit_code(pid: int, bound_s: float) -> int | None:
    # ManagedProcess keeps no Popen: the process is still our child, so its status is ours to reap.
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    return None


def run_refused(
    probes: DevstackSettings, cluster: ClusterSettings, service: str, case: str, overrides: Mapping[str, str]
) -> Exited:
    """Start ``service`` with ``overrides`` on an address of its own; wait for it to exit; stop it anyway."""
    _, launch = SERVICES[service]
    host = f"127.0.1.{next(_addresses)}"
    app = launch(probes, f"{service}-{case}", host, service_env(cluster, service, overrides))
    bound = LAKE_EXIT_BOUND_S if service == "lake" else EXIT_BOUND_S
    app.before_start()  # what `up()` makes first: ingest's API-key files, the metrics folder
    began = time.monotonic()
    pid = app.proc.start(app.argv, env=app.env, cwd=REPO_ROOT)
    try:
        code = _exit_code(pid, bound)
        took = time.monotonic() - began
    finally:
        app.down()  # a process that did not exit (or its JVM) must not outlive the test
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    exited = Exited(code, took, app.proc.log_file.read_text(errors="replace"))
    print(f"\n[security] {service} ({case}): exit code {code} after {took:.1f} s")
    return exited


def refusal_lines(log: str) -> list[str]:
    """The log lines that explain a refusal (the core helper's wording)."""
    return [line for line in log.splitlines() if "Kafka refused" in line or "Kafka user " in line]


@pytest.mark.timeout(LAKE_EXIT_BOUND_S + 60)
@pytest.mark.parametrize("service", list(SERVICES))
def test_a_wrong_password_stops_the_service_at_start_up(
    cluster: ClusterSettings, refused: dict[tuple[str, str], Exited], service: str
) -> None:
    user, _ = SERVICES[service]
    exited = refused[service, "wrong-password"]

    assert exited.code is not None, f"{service} still running {exited.seconds:.0f} s after its start"
    assert exited.code != 0, exited.log[-3000:]
    lines = refusal_lines(exited.log)
    assert lines, f"no refusal explained in {service}'s log:\n{exited.log[-3000:]}"
    line = lines[0]
    for needed in (
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        f"user {user!r}",
        cluster.kafka_bootstrap_servers,
    ):
        assert needed in line, f"{needed!r} missing from: {line}"
    assert WRONG_PASSWORD not in exited.log
    assert kafka_password(cluster, user).get_secret_value() not in exited.log
    print(f"[security] {service}: exited {exited.seconds:.1f} s after its start with: {line.strip()}")


def _outside(cluster: ClusterSettings) -> list[tuple[str, dict[str, str], str]]:
    """Per service: a setting outside its ACLs, and what its log must say was refused."""
    app_id = f"not-{cluster.streams_app_id}"
    return [
        ("ingest", {"KAFKA_PLAYS_TOPIC": "top-songs-live"}, "may not Write topic 'top-songs-live'"),
        ("dashboard-api", {"KAFKA_LIVE_TOPIC": "song-plays"}, "may not Read topic 'song-plays'"),
        ("streams", {"STREAMS_APP_ID": app_id}, f"may not Read group {app_id!r}"),
        ("lake", {"KAFKA_PLAYS_TOPIC": "top-songs-live"}, "may not Read topic 'top-songs-live'"),
    ]


@pytest.fixture(scope="module")
def refused(probes: DevstackSettings, cluster: ClusterSettings) -> dict[tuple[str, str], Exited]:
    """Every refused start of this module, run side by side (the two lake JVMs' start-up dominates),
    by (service, case)."""
    wrong = {"KAFKA_SASL_PASSWORD": WRONG_PASSWORD}
    cases = [(service, "wrong-password", wrong) for service in SERVICES]
    cases += [(service, "outside-acl", overrides) for service, overrides, _ in _outside(cluster)]
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        runs = {
            (service, case): pool.submit(run_refused, probes, cluster, service, case, overrides)
            for service, case, overrides in cases
        }
    return {key: run.result() for key, run in runs.items()}


@pytest.mark.timeout(LAKE_EXIT_BOUND_S + 60)
@pytest.mark.parametrize("index", range(4), ids=list(SERVICES))
def test_a_setting_outside_the_acls_stops_the_service_naming_it(
    cluster: ClusterSettings, refused: dict[tuple[str, str], Exited], index: int
) -> None:
    service, _overrides, what = _outside(cluster)[index]
    user, _ = SERVICES[service]
    exited = refused[service, "outside-acl"]

    assert exited.code is not None, f"{service} still running {exited.seconds:.0f} s after its start"
    assert exited.code != 0, exited.log[-3000:]
    lines = [line for line in refusal_lines(exited.log) if what in line and f"user {user!r}" in line]
    assert lines, f"{what!r} (user {user!r}) not in {service}'s log:\n{exited.log[-3000:]}"
    print(f"[security] {service}: exited {exited.seconds:.1f} s after its start with: {lines[0].strip()}")


def test_the_dashboards_postgres_role_cannot_write(cluster: ClusterSettings) -> None:
    # The role dashboard-api connects as on the profile: PG_HOST/PG_PORT of shared_env, the reader role.
    env = shared_env(cluster)
    pg = PostgresSettings(host=env["PG_HOST"], port=int(env["PG_PORT"]))
    with psycopg.connect(pg.dsn(reader=True), connect_timeout=10) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (pg.reader_user,)
        for table in CHART_TABLES:
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # it reads them
            conn.rollback()
            column = conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s LIMIT 1", (table,)
            ).fetchone()
            assert column is not None, table
            writes = [
                f"INSERT INTO {table} DEFAULT VALUES",
                f"UPDATE {table} SET {column[0]} = {column[0]}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
                f"ALTER TABLE {table} ADD COLUMN reader_probe int",
            ]
            for statement in writes:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
                conn.rollback()
        for statement in ("CREATE TABLE reader_probe (x int)", "CREATE SCHEMA reader_probe"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


# The profile's clients of the lake and the account each must use (docs/security.md, "The lake's S3
# keys"): the lake job, the lag monitor and Airflow's processes (its tasks run in the Celery worker).
LAKE_CLIENTS = {
    "spark": LAKE,
    "monitor": MONITOR,
    **{f"airflow-{role}": AIRFLOW for role in ("api-server", "scheduler", "dag-processor", "celery-worker")},
}


def test_each_client_of_the_lake_uses_its_own_s3_account(cluster: ClusterSettings) -> None:
    devstack = cluster.devstack()
    accounts, pids = lake_accounts(devstack), recorded_pids(devstack)
    # devstack hands each process the secrets of its environment as files of its own (as_files):
    # each client of the lake got its account's secret, and no other process got an S3 secret.
    copies = cluster.secrets_dir / "processes"
    given = {path.parent.name: path for path in copies.glob("*/S3_SECRET_ACCESS_KEY")}
    assert set(given) == set(LAKE_CLIENTS), sorted(given)
    for process, account in LAKE_CLIENTS.items():
        assert given[process].read_text().strip() == accounts.secret(account), process
    # With its key id, in the environment they run with (Airflow's processes overwrite theirs in
    # memory with their titles, setproctitle, so /proc shows it for these two only).
    for process in ("spark", "monitor"):
        env = environ(pids[process])
        assert env.get("S3_ACCESS_KEY_ID") == accounts.access_key(LAKE_CLIENTS[process]), process
        assert env.get("S3_SECRET_ACCESS_KEY" + FILE_SUFFIX) == str(given[process]), process
        assert "S3_SECRET_ACCESS_KEY" not in env, process


def secret_values(cluster: ClusterSettings) -> dict[str, str]:
    """Every secret of the profile (value → where it is kept): each file of the secrets folder, which
    is a password, a private key or a certificate; each process's own copy of the passwords it reads
    (``processes/<name>/<VAR>``, topsongs_devstack.secret_files); and the Airflow admin password and
    signing keys."""
    found: dict[str, str] = {}
    for path in sorted(cluster.secrets_dir.glob("processes/*/*")):
        found[path.read_text().strip()] = str(path.relative_to(cluster.secrets_dir))
    for path in sorted(p for p in cluster.secrets_dir.iterdir() if p.is_file()):
        text = path.read_text()
        if path.suffix == ".password":
            found[text.strip()] = path.name
        elif "PRIVATE KEY-----" in text:
            key = text[text.index("PRIVATE KEY-----") : text.rindex("-----END")]
            found.update({line: f"{path.name} (private key)" for line in key.splitlines() if len(line) >= 32})
        else:  # certificates and the CA's serial number are public
            assert path.suffix in (".pem", ".srl") and "PRIVATE" not in text, f"unclassified: {path}"
    airflow = cluster.state_dir / "airflow"
    admin = airflow / "simple_auth_manager_passwords.json"
    if admin.exists():
        found.update(
            {password: f"{admin.name} ({user})" for user, password in json.loads(admin.read_text()).items()}
        )
    for name in ("api_secret_key", "jwt_secret"):
        if (airflow / name).exists():
            found[(airflow / name).read_text().strip()] = f"airflow/{name}"
    return found


def log_files(*roots: Path) -> Iterator[Path]:
    """Every log file under ``roots``: *.log (process and Airflow task logs), Spark executors' output.

    Not Kafka's partition segments (`kafka-N/data/**/*.log`): those are the topics' records.
    """
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or (
                path.parts[len(root.parts)].startswith("kafka-") and "data" in path.parts
            ):
                continue
            if path.suffix == ".log" or (path.name in ("stderr", "stdout") and "work" in path.parts):
                yield path


def test_no_secret_value_is_in_any_log_file(cluster: ClusterSettings, probes: DevstackSettings) -> None:
    secret = secret_values(cluster)
    kept = {f"kafka-{user}.password" for user in KAFKA_USERS} | {"redis.password"}
    assert kept <= set(secret.values()), secret.values()
    logs = list(log_files(cluster.state_dir, probes.state_dir))
    assert {"kafka-1.log", "ingest-1.log", "streams-1.log"} <= {p.name for p in logs}, logs
    leaks = []
    for path in logs:
        text = path.read_text(errors="replace")
        leaks += [f"{path} holds the value of {where}" for value, where in secret.items() if value in text]
    assert not leaks, "\n".join(leaks)
    print(f"\n[security] {len(secret)} secret values, {len(logs)} log files: none holds one")
