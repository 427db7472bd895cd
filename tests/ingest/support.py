"""Building plays, serving ingest in-process, private brokers, and reading back what reached Kafka."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from ingest.app import create_app
from ingest.settings import IngestSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import Kafka
from topsongs_devstack.process import free_port


def play(**over: object) -> dict[str, object]:
    """A valid play payload (event time now)."""
    base: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "song_id": "s-1",
        "title": "Song",
        "artist": "Band",
        "user_id": "u-1",
        "region": "US",
        "played_at": datetime.now(UTC).isoformat(),
    }
    return {**base, **over}


async def serve(settings: IngestSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client talking to it in-process."""
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        app.state._lifespan = state  # keep a reference for debugging
        transport = httpx.ASGITransport(app=_with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            yield client


def _with_state(app: FastAPI, state: dict[str, object]):  # type: ignore[no-untyped-def]
    async def asgi(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            scope = {**scope, "state": dict(state)}
        await app(scope, receive, send)

    return asgi


async def end_offsets(kafka: KafkaSettings) -> dict[int, int]:
    """The plays topic's end offset per partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    await consumer.start()
    try:
        # The topic's declared partitions: partitions_for_topic() after topics() knew none here (topics()
        # does not update the client's metadata), so every comparison of offsets compared {} with {}.
        parts = [TopicPartition(kafka.plays_topic, p) for p in range(kafka.plays_partitions)]
        return {tp.partition: off for tp, off in (await consumer.end_offsets(parts)).items()}
    finally:
        await consumer.stop()


async def read_all(
    kafka: KafkaSettings, expect: int, timeout_s: float = 30
) -> list[tuple[int, bytes, bytes]]:
    """Every record of the plays topic as (partition, key, value), reading until ``expect`` seen."""
    consumer = AIOKafkaConsumer(
        kafka.plays_topic,
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[tuple[int, bytes, bytes]] = []
    try:
        deadline = datetime.now(UTC).timestamp() + timeout_s
        while len(records) < expect and datetime.now(UTC).timestamp() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                records.extend((m.partition, m.key, m.value) for m in msgs)
        # one more poll to catch anything beyond the expectation (duplicates)
        for msgs in (await consumer.getmany(timeout_ms=1000)).values():
            records.extend((m.partition, m.key, m.value) for m in msgs)
    finally:
        await consumer.stop()
    return records


def private_broker(state_dir: Path) -> Kafka:
    """A broker of the caller's own (free ports, own data), so stopping it disturbs nobody."""
    settings = DevstackSettings(state_dir=state_dir, kafka_controller_port=free_port())
    assert settings.state_dir != DevstackSettings().state_dir
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}", plays_partitions=3)
    return Kafka(settings, kafka)


def _until_stopped(pid: int, timeout_s: float = 5.0) -> None:
    """Wait until every thread of ``pid`` is stopped: a signal reaches the threads running on
    another core only when the kernel next interrupts them, and a request must not slip in."""
    deadline = time.monotonic() + timeout_s
    tasks = Path(f"/proc/{pid}/task")
    while time.monotonic() < deadline:
        states = []
        for task in tasks.iterdir():
            try:
                # The state follows the parenthesised command name, which may hold spaces.
                states.append((task / "stat").read_text().rsplit(")", 1)[1].split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that ended meanwhile
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.005)
    raise AssertionError(f"broker {pid} did not stop within {timeout_s} s")


@contextmanager
def frozen(broker: Kafka) -> Iterator[None]:
    """SIGSTOP the broker: its sockets stay open and accept connections, but nothing answers."""
    pid = broker.proc.pid()
    assert pid is not None, "the broker is not running"
    os.kill(pid, signal.SIGSTOP)
    _until_stopped(pid)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
