"""Broker releases: the default is compose's too, old devstack data upgrades to 4.x, downgrades refused."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.kafka import Kafka, new_cluster_id, private_topics
from topsongs_devstack.process import PlatformError, free_port, run

OLD_RELEASE = "3.9.1"
NEW_RELEASE = "4.4.0"


def test_compose_runs_the_default_release() -> None:
    """compose's topsongs/kafka image is built from the release devstack runs (its build argument)."""
    releases = re.findall(
        r"KAFKA_VERSION: \$\{DEVSTACK_KAFKA_VERSION:-([^}]+)\}", (REPO_ROOT / "compose.yaml").read_text()
    )
    assert releases and set(releases) == {DevstackSettings().kafka_version}
    dockerfile = (REPO_ROOT / "docker" / "Dockerfile").read_text()
    assert f"ARG KAFKA_VERSION={DevstackSettings().kafka_version}" in dockerfile


def broker(state: Path, kafka: KafkaSettings, controller: int, version: str) -> Kafka:
    """A private broker of ``version`` on its own ports and state."""
    settings = DevstackSettings(state_dir=state, kafka_controller_port=controller, kafka_version=version)
    return Kafka(settings, kafka)


def private_kafka() -> KafkaSettings:
    """Private topics on a free port."""
    update = {"bootstrap_servers": f"127.0.0.1:{free_port()}", "plays_partitions": 1}
    return private_topics("versions").model_copy(update=update)


async def round_trip(kafka: KafkaSettings, value: bytes | None) -> list[bytes | None]:
    """Send ``value`` (unless None), then every value of the plays topic."""
    if value is not None:
        async with AIOKafkaProducer(**aiokafka_connection(kafka), acks="all") as producer:
            await producer.send_and_wait(kafka.plays_topic, value)
    async with AIOKafkaConsumer(
        kafka.plays_topic, **aiokafka_connection(kafka), auto_offset_reset="earliest"
    ) as consumer:
        batch = await consumer.getmany(timeout_ms=10_000)
    return [r.value for records in batch.values() for r in records]


def test_data_of_the_old_devstack_starts_under_the_default_release(tmp_path: Path, engines: None) -> None:
    kafka, controller = private_kafka(), free_port()
    old = broker(tmp_path / "state", kafka, controller, OLD_RELEASE)
    # What the old devstack did: Kafka 3.9, a static voter list, no record of the release.
    old.install()
    config = old._write_config(static_quorum=True)
    run(old._java("kafka.tools.StorageTool", "format", "-t", new_cluster_id(), "-c", str(config)), "format")
    old.up()
    try:
        assert asyncio.run(round_trip(old.kafka, b"kept")) == [b"kept"]
    finally:
        old.down()
    new = broker(tmp_path / "state", kafka, controller, DevstackSettings().kafka_version)
    new.up()
    try:
        assert asyncio.run(round_trip(new.kafka, None)) == [b"kept"]
        assert new.status().healthy
        assert "controller.quorum.voters" in (new.home / "server.properties").read_text()
    finally:
        new.down()
    log = new.proc.log_file.read_text(errors="replace")
    assert f"Kafka version: {DevstackSettings().kafka_version}" in log
    assert "Reconfiguration failed" not in log and "log4j:WARN" not in log


def test_an_older_release_is_refused_on_newer_data(tmp_path: Path) -> None:
    newer = broker(tmp_path / "state", private_kafka(), free_port(), NEW_RELEASE)
    newer.home.mkdir(parents=True)
    newer._formatted_by.write_text(newer.version)
    older = broker(tmp_path / "state", private_kafka(), free_port(), OLD_RELEASE)
    with pytest.raises(PlatformError, match=f"DEVSTACK_KAFKA_VERSION={newer.version}"):
        older.up()
    assert older.proc.pid() is None
