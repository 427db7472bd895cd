"""The exposure matrix: a private devstack's every listener and HTTP route, tried without credentials,
against the policy tables of docs/security.md; every listener on 127.0.0.1. The stack's PostgreSQL
password holds `@:/#%`, so every service connecting to it shows the URLs built from it are encoded.
It runs outside laptop mode with every secret given, and no secret value may show in its processes'
environments and command lines or in its logs."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import psycopg
import pytest
import websockets.sync.client
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr
from topsongs_charts.lake_accounts import ACCOUNTS, MONITOR
from topsongs_core.secret_settings import FILE_SUFFIX
from topsongs_core.settings import PostgresSettings, S3Settings
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.lake_accounts import LakeAccounts
from topsongs_devstack.listeners import listeners, recorded_pids
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.process import free_port
from websockets.exceptions import InvalidStatus

from tests.devstack.cli import devstack
from tests.devstack.lake_access import TABLE, declared, tried
from tests.secret_scan import environ, file_places, hits, process_places

POLICY = REPO_ROOT / "docs" / "security.md"
# Everything but the lake job and Airflow, which take minutes to start (docs/security.md says so).
COMPONENTS = (
    "kafka",
    "postgres",
    "statsd-exporter",
    "s3",
    "migrations",
    "catalog",
    "ingest",
    "streams",
    "dashboard-api",
    "monitor",
    "postgres-exporter",
    "prometheus",
    "redis",
)
ONE_SHOT = {"migrations", "catalog"}
PORT_SETTINGS = (
    "DEVSTACK_KAFKA_CONTROLLER_PORT",
    "DEVSTACK_KAFKA_METRICS_PORT",
    "DEVSTACK_STATSD_PORT",
    "DEVSTACK_STATSD_EXPORTER_PORT",
    "DEVSTACK_INGEST_PORT",
    "DEVSTACK_STREAMS_METRICS_PORT",
    "DEVSTACK_SPARK_UI_PORT",
    "DEVSTACK_DASHBOARD_PORT",
    "DEVSTACK_AIRFLOW_PORT",
    "DEVSTACK_MONITOR_PORT",
    "DEVSTACK_POSTGRES_EXPORTER_PORT",
    "DEVSTACK_PROMETHEUS_PORT",
    "DEVSTACK_REDIS_PORT",
    "PG_PORT",
)
# Every character that ends or splits a URL's user info, and the escape character itself.
PASSWORD = "p@ss:w/rd#50%x"
READER_PASSWORD = "r/e@d:er#%25"
S3_SECRET = f"s3-{uuid.uuid4().hex}"


def policy(section: str) -> list[dict[str, str]]:
    """The first Markdown table under the heading ``section`` of docs/security.md, as rows by column."""
    text = POLICY.read_text()
    block: list[str] = []
    for line in text[text.index(f"\n{section}\n") :].splitlines()[2:]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            break
    assert block, f"no table under {section!r} in {POLICY}"
    header, _, *rows = ([cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in block)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    """A private devstack on free ports in its own state folder, shared by the module."""
    # Under the repo, not /tmp: PostgreSQL runs as `postgres` when we are root.
    state = REPO_ROOT / ".state" / "tests" / f"exposure-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **{name: str(free_port()) for name in PORT_SETTINGS},
        "DEVSTACK_STATE_DIR": str(state),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
        "PG_PASSWORD": PASSWORD,
        "PG_READER_PASSWORD": READER_PASSWORD,
        "S3_SECRET_ACCESS_KEY": S3_SECRET,
        # Not a laptop: the built-in passwords are refused, so every service must take these.
        "TOPSONGS_MODE": "deployed",
    }
    try:
        up = devstack(env, "up", *COMPONENTS)
        assert up.returncode == 0, up.stdout + up.stderr
        yield env
    finally:
        devstack(env, "down", *COMPONENTS)
        shutil.rmtree(state, ignore_errors=True)


def port_of(env: dict[str, str], setting: str) -> int:
    """The port a setting gives in ``env`` (a URL or host:port for the engines' endpoints)."""
    value = env[setting]
    if "://" in value:
        return int(urlsplit(value).port or 0)
    return int(value.rsplit(":", 1)[-1])


def devstack_settings(env: dict[str, str]) -> DevstackSettings:
    """The stack's devstack settings (its state folder)."""
    return DevstackSettings(state_dir=Path(env["DEVSTACK_STATE_DIR"]))


def stack_postgres(env: dict[str, str]) -> PostgresSettings:
    """The stack's PostgreSQL settings, its passwords included."""
    return PostgresSettings(
        port=int(env["PG_PORT"]),
        password=PASSWORD,  # type: ignore[arg-type]
        reader_password=READER_PASSWORD,  # type: ignore[arg-type]
    )


def test_every_listener_is_declared_and_on_loopback(stack: dict[str, str]) -> None:
    settings = devstack_settings(stack)
    assert set(recorded_pids(settings)) == set(COMPONENTS) - ONE_SHOT
    found = listeners(settings)
    rows = [row for row in policy("### Listeners") if row["Process"] in recorded_pids(settings)]

    def declares(row: dict[str, str], process: str, protocol: str, port: int) -> bool:
        same = (row["Process"], row["Protocol"]) == (process, protocol)
        return same and (row["Port setting"] == "ephemeral" or port_of(stack, row["Port setting"]) == port)

    undeclared = [x for x in found if not any(declares(r, x.process, x.protocol, x.port) for r in rows)]
    missing = [
        row
        for row in rows
        if row["Port setting"] != "ephemeral"
        and not any(declares(row, x.process, x.protocol, x.port) for x in found)
    ]
    assert (undeclared, missing) == ([], [])
    assert [x for x in found if not x.on_loopback_only] == []
    assert len(found) >= len(rows)


async def test_every_listener_answers_as_declared(stack: dict[str, str]) -> None:
    started = recorded_pids(devstack_settings(stack))
    tried = {
        (row["Process"], row["Port setting"], row["Probe"]): (
            await probe(row["Probe"], port_of(stack, row["Port setting"])),
            row["Expect"],
        )
        for row in policy("### Listeners")
        if row["Process"] in started and row["Probe"] != "-"
    }
    assert {what: got for what, (got, expected) in tried.items() if got != expected} == {}
    assert len(tried) >= 10


async def probe(kind: str, port: int) -> str:
    """``answers`` or ``refused`` (or what went wrong instead) for one credential-less attempt."""
    if kind.startswith("GET "):
        return refused(httpx.get(f"http://127.0.0.1:{port}{kind[4:]}", timeout=30).status_code)
    if kind == "kafka metadata":
        producer = AIOKafkaProducer(bootstrap_servers=f"127.0.0.1:{port}")
        await producer.start()
        await producer.stop()
        return "answers"
    if kind == "postgres login":
        try:
            psycopg.connect(host="127.0.0.1", port=port, user="topsongs", dbname="topsongs").close()
        except psycopg.OperationalError as exc:
            return "refused" if "password" in str(exc) else str(exc)
        return "answers"
    if kind == "redis ping":
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"PING\r\n")
        answer = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        return (
            "refused"
            if answer.startswith(b"-NOAUTH")
            else "answers"
            if answer == b"+PONG\r\n"
            else str(answer)
        )
    if kind == "s3 list":
        return refused(httpx.get(f"http://127.0.0.1:{port}/lake", timeout=10).status_code)
    raise AssertionError(f"docs/security.md names a probe the test does not know: {kind!r}")


def refused(status: int) -> str:
    """An HTTP status in the listener table's words (a 401 or 403 is a refusal)."""
    outcome = http_outcome(status)
    return "refused" if outcome in ("401", "403") else outcome


def http_outcome(status: int) -> str:
    """An HTTP status in the route table's words: served (``answers``), refused (the status) or not."""
    if status in (401, 403):
        return str(status)
    # 404 is a route that is not there; 5xx a server error: neither is what the policy declares.
    return "answers" if status < 500 and status != 404 else f"HTTP {status}"


@pytest.mark.parametrize("service", ["ingest", "dashboard-api"])
def test_every_route_answers_as_declared(stack: dict[str, str], service: str) -> None:
    port = stack["DEVSTACK_INGEST_PORT" if service == "ingest" else "DEVSTACK_DASHBOARD_PORT"]
    base = f"http://127.0.0.1:{port}"
    rows = [row for row in policy("### HTTP routes") if row["Service"] == service]
    declared = {(row["Method"], row["Route"]) for row in rows}
    document = httpx.get(f"{base}/openapi.json", timeout=10).json()
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented - declared == set(), "routes missing from docs/security.md"

    outcomes = {}
    for row in rows:
        if row["Method"] == "WS":
            outcomes[row["Route"]] = websocket_outcome(f"ws://127.0.0.1:{port}{row['Route']}")
        else:
            # No key, no parameters, an empty JSON body: what anyone on the machine can send.
            body = {"json": {}} if row["Method"] == "POST" else {}
            answer = httpx.request(row["Method"], f"{base}{row['Route']}", timeout=10, **body)  # type: ignore[arg-type]
            outcomes[row["Route"]] = http_outcome(answer.status_code)
    expected = {row["Route"]: row["Expect"] for row in rows}
    assert outcomes == expected


def websocket_outcome(url: str) -> str:
    """``answers`` when the handshake succeeds (whatever the server says next)."""
    try:
        with websockets.sync.client.connect(url, open_timeout=10):
            return "answers"
    except InvalidStatus as exc:
        return http_outcome(exc.response.status_code)


def stack_lake_accounts(env: dict[str, str]) -> LakeAccounts:
    """The lake's accounts devstack made for the stack, with the stack's root key for the admin side."""
    root = S3Settings(endpoint_url=env["S3_ENDPOINT_URL"], secret_access_key=SecretStr(S3_SECRET))
    return lake_accounts(devstack_settings(env), root)


def test_every_lake_account_is_limited_as_declared(stack: dict[str, str]) -> None:
    rows = policy(TABLE)
    expected = declared(rows)
    found = tried(stack_lake_accounts(stack), rows)
    assert {what: got for what, got in found.items() if got != expected[what]} == {}


def test_the_lag_monitor_reads_the_lake_with_its_own_key(stack: dict[str, str]) -> None:
    accounts = stack_lake_accounts(stack)
    pid = recorded_pids(devstack_settings(stack))["monitor"]
    env = environ(pid)
    assert env["S3_ACCESS_KEY_ID"] == accounts.access_key(MONITOR)
    assert Path(env["S3_SECRET_ACCESS_KEY" + FILE_SUFFIX]).read_text() == accounts.secret(MONITOR)
    # With it, the monitor reads the lake job's checkpoint (none yet: the stack runs no lake job).
    metrics = f"http://127.0.0.1:{stack['DEVSTACK_MONITOR_PORT']}/metrics"
    for _ in range(60):
        text = httpx.get(metrics, timeout=10).text
        if 'topsongs_monitor_last_success_timestamp_seconds{consumer="lake"}' in text:
            break
        time.sleep(1)
    else:
        raise AssertionError(f"the monitor never measured the lake's lag:\n{text}")
    assert 'topsongs_monitor_errors_total{consumer="lake"}' not in text


def test_postgres_local_socket_needs_a_password_and_admin_steps_work(stack: dict[str, str]) -> None:
    settings = devstack_settings(stack)
    server = Postgres(settings, stack_postgres(stack))
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=str(server.sockets), port=server.pg.port, user="postgres", dbname="postgres")
    name = f"exposure_{uuid.uuid4().hex[:8]}"
    server.create_database(name)
    server.drop_database(name)
    assert auth_methods(server) == {"local": {"scram-sha-256"}, "host": {"scram-sha-256"}}

    # A cluster made before the rule (trust on the socket, no superuser password) is converted by up.
    hba = server.data / "pg_hba.conf"
    with server._superuser() as conn:
        hba.write_text(re.sub(r"^(local\s.*\s)scram-sha-256$", r"\1trust", hba.read_text(), flags=re.M))
        conn.execute("ALTER ROLE postgres PASSWORD NULL")
        conn.execute("SELECT pg_reload_conf()")
    (server.home / "superuser.password").unlink()
    psycopg.connect(host=str(server.sockets), port=server.pg.port, user="postgres", dbname="postgres").close()
    server.up()
    assert auth_methods(server) == {"local": {"scram-sha-256"}, "host": {"scram-sha-256"}}
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(host=str(server.sockets), port=server.pg.port, user="postgres", dbname="postgres")
    server.create_database(name)
    server.drop_database(name)


def auth_methods(server: Postgres) -> dict[str, set[str]]:
    """pg_hba.conf's authentication methods by connection type."""
    methods: dict[str, set[str]] = {}
    for line in (server.data / "pg_hba.conf").read_text().splitlines():
        rule = line.split()
        if rule and not rule[0].startswith("#"):
            methods.setdefault(rule[0], set()).add(rule[-1])
    return methods


def test_password_with_url_characters_connects_everywhere(stack: dict[str, str]) -> None:
    pg = stack_postgres(stack)
    assert "%40" in pg.dsn() and "#" not in pg.dsn(reader=True)
    with psycopg.connect(pg.dsn()) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("topsongs",)
    with psycopg.connect(pg.dsn(reader=True)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("topsongs_reader",)
    # The services of the stack built their URLs from the same settings: migrations ran (the up
    # succeeded), the exporter logs in, and dashboard-api's asyncpg pool (reader) answers a chart.
    exporter = httpx.get(f"http://127.0.0.1:{stack['DEVSTACK_POSTGRES_EXPORTER_PORT']}/metrics", timeout=10)
    assert "\npg_up 1\n" in exporter.text
    chart = httpx.get(
        f"http://127.0.0.1:{stack['DEVSTACK_DASHBOARD_PORT']}/api/top/hourly",
        params={"region": "US", "hour": "2026-01-01T00:00:00Z"},
        timeout=10,
    )
    assert chart.status_code == 200, chart.text


def stack_secrets(env: dict[str, str]) -> dict[str, str]:
    """Every secret value of the stack by name: the given ones (as typed and percent-encoded, as they
    go into URLs) and the ones devstack generated into its state folder."""
    state = Path(env["DEVSTACK_STATE_DIR"])
    given = {
        "PG_PASSWORD": PASSWORD,
        "PG_READER_PASSWORD": READER_PASSWORD,
        "S3_SECRET_ACCESS_KEY": S3_SECRET,
    }
    generated = {
        "postgres superuser": state / "postgres" / "superuser.password",
        "redis": state / "secrets" / "redis.password",
        "ingest simulator key": ingest_keys(devstack_settings(env)).simulator_key,
    }
    accounts = stack_lake_accounts(env)
    generated |= {f"s3 {account} key": accounts.secrets_dir / f"{account}.secret" for account in ACCOUNTS}
    return {
        **given,
        **{
            f"{name} (encoded)": quote(value, safe="")
            for name, value in given.items()
            if quote(value, safe="") != value
        },
        **{name: path.read_text().strip() for name, path in generated.items()},
    }


def test_no_secret_in_environments_command_lines_or_logs(stack: dict[str, str]) -> None:
    settings = devstack_settings(stack)
    started = recorded_pids(settings)
    places = process_places(started)
    logs = sorted(settings.logs_dir.rglob("*"))
    places |= file_places(logs, settings.state_dir)
    found = hits(places, stack_secrets(stack))
    # The one exception: the S3 server's own root key, which versitygw (v1.8.0) takes from its
    # environment or command line only (docs/security.md, "Secrets").
    allowed = {(p, "S3_SECRET_ACCESS_KEY") for p in places if p.startswith("s3[") and p.endswith("environ")}
    assert found - allowed == set()
    # What was scanned: every started process (and its children) and every log.
    assert {place.split("[")[0] for place in places if "[" in place} == set(started)
    assert len([p for p in logs if p.is_file()]) >= len(started) - 1
