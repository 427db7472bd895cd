"""`devstack up|status|down|up` on a private state folder and ports: healthy, harmless twice, data kept."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings
from topsongs_devstack.config import REPO_ROOT
from topsongs_devstack.objectstore import s3_client

from tests.devstack.cli import devstack

PORTS = {
    "kafka": 29192,
    "controller": 29193,
    "kafka_metrics": 29194,
    "pg": 25432,
    "s3": 27070,
    "ingest": 28000,
}


@pytest.fixture
def env(engines: None) -> Iterator[dict[str, str]]:
    """Environment pointing every component at private ports and state."""
    # Under the repo, not /tmp: PostgreSQL runs as the `postgres` user when we are root and
    # pytest's tmp folders are private to root.
    state = REPO_ROOT / ".state" / "tests" / uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "DEVSTACK_STATE_DIR": str(state),
        "DEVSTACK_KAFKA_CONTROLLER_PORT": str(PORTS["controller"]),
        "DEVSTACK_KAFKA_METRICS_PORT": str(PORTS["kafka_metrics"]),
        "DEVSTACK_INGEST_PORT": str(PORTS["ingest"]),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{PORTS['kafka']}",
        "PG_PORT": str(PORTS["pg"]),
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{PORTS['s3']}",
    }
    yield env
    devstack(env, "down")
    shutil.rmtree(state, ignore_errors=True)


def statuses(env: dict[str, str]) -> dict[str, str]:
    """Component name → healthy/DOWN from `devstack status` of the components under test."""
    out = devstack(env, "status", *COMPONENTS).stdout
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}


COMPONENTS = ("kafka", "postgres", "s3", "ingest")


async def test_up_status_down_up_keeps_data(env: dict[str, str]) -> None:
    up = devstack(env, "up", *COMPONENTS)
    assert up.returncode == 0, up.stdout + up.stderr
    assert statuses(env) == {"kafka": "healthy", "postgres": "healthy", "s3": "healthy", "ingest": "healthy"}
    assert devstack(env, "status", *COMPONENTS).returncode == 0
    again = devstack(env, "up", *COMPONENTS)
    assert again.returncode == 0, again.stderr

    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{PORTS['kafka']}")
    pg = PostgresSettings(port=PORTS["pg"])
    s3 = S3Settings(endpoint_url=f"http://127.0.0.1:{PORTS['s3']}")
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    await producer.send_and_wait(kafka.plays_topic, b"kept", key=b"k")
    await producer.stop()
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (v text)")
        conn.execute("INSERT INTO kept VALUES ('row')")
    s3_client(s3).put_object(Bucket=s3.bucket, Key="kept.txt", Body=b"object")
    ready = httpx.get(f"http://127.0.0.1:{PORTS['ingest']}/readyz", timeout=5)
    assert ready.json() == {"kafka": "ok"}
    # The broker's JMX exporter agent: one node, so it is the active controller.
    broker = httpx.get(f"http://127.0.0.1:{PORTS['kafka_metrics']}/metrics", timeout=5).text
    assert "\nkafka_controller_kafkacontroller_activecontrollercount 1.0\n" in broker

    down = devstack(env, "down", *COMPONENTS)
    assert down.returncode == 0, down.stderr
    assert set(statuses(env).values()) == {"DOWN"}
    assert devstack(env, "status", *COMPONENTS).returncode == 1, "a script must see the stack is down"

    assert devstack(env, "up", *COMPONENTS).returncode == 0
    consumer = AIOKafkaConsumer(
        kafka.plays_topic,
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        values = [m.value for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()
    assert values == [b"kept"]
    with psycopg.connect(pg.dsn()) as conn:
        assert conn.execute("SELECT v FROM kept").fetchall() == [("row",)]
    assert s3_client(s3).get_object(Bucket=s3.bucket, Key="kept.txt")["Body"].read() == b"object"


def test_taken_port_is_a_clear_error(env: dict[str, str]) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", PORTS["s3"]))
        squatter.listen()
        result = devstack(env, "up", "s3")
    assert result.returncode == 1
    assert f"port {PORTS['s3']} is taken" in result.stderr
