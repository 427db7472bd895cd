"""The cluster profile's Kafka: three SASL_SSL nodes, replication 3, min ISR 2, per-service ACLs."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.cluster.kafka import controller_leader, nodes
from topsongs_devstack.cluster.settings import (
    KAFKA_USERS,
    ClusterSettings,
    kafka_password,
    service_kafka_settings,
)

pytestmark = pytest.mark.timeout(120)


def as_user(cluster: ClusterSettings, user: str) -> KafkaSettings:
    """The settings a service running as ``user`` gets (what `service_kafka_env` hands the components)."""
    return service_kafka_settings(cluster, user)


async def refused_writes(user: KafkaSettings, *topics: str, value: bytes = b"forged") -> None:
    """``user`` may not produce to any of ``topics`` (each refused by the brokers' ACLs)."""
    async with AIOKafkaProducer(**aiokafka_connection(user), acks="all") as producer:
        for topic in topics:
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(topic, value)


async def consume_all(
    kafka: KafkaSettings, topic: str, partitions: int, group: str | None = None
) -> list[tuple[bytes, bytes]]:
    """Every (key, value) of ``topic`` up to its end offsets as of now, read in ``group`` or assigned."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(
        **aiokafka_connection(kafka), group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    records: list[tuple[bytes, bytes]] = []
    async with consumer:
        if group is None:
            consumer.assign(tps)
        else:
            consumer.subscribe([topic])
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + 30
        while True:
            batch = await consumer.getmany(timeout_ms=1000)
            records.extend((r.key or b"", r.value or b"") for rs in batch.values() for r in rs)
            if consumer.assignment() == set(tps) and all(
                [await consumer.position(tp) >= ends[tp] for tp in tps]
            ):
                return records
            assert time.monotonic() < deadline, f"{topic} not read to its end offsets {ends} within 30 s"


async def test_ingest_writes_and_streams_reads_with_acks_all(kafka_cluster: ClusterSettings) -> None:
    ingest = as_user(kafka_cluster, "ingest")
    sent = {(f"k{i}".encode(), f"play-{uuid.uuid4().hex}".encode()) for i in range(200)}
    async with AIOKafkaProducer(
        **aiokafka_connection(ingest), acks="all", enable_idempotence=True
    ) as producer:
        await asyncio.gather(*[await producer.send(ingest.plays_topic, v, key=k) for k, v in sent])
    streams = as_user(kafka_cluster, "streams")
    group = f"{kafka_cluster.streams_app_id}-test"
    got = await consume_all(streams, streams.plays_topic, streams.plays_partitions, group)
    assert sent <= set(got)


async def test_ingest_may_only_write_the_plays_topic(kafka_cluster: ClusterSettings) -> None:
    ingest = as_user(kafka_cluster, "ingest")
    await refused_writes(ingest, ingest.live_topic, ingest.dead_letter_topic, value=b"not-mine")
    with pytest.raises(TopicAuthorizationFailedError):
        await consume_all(ingest, ingest.plays_topic, ingest.plays_partitions)


async def test_dashboard_reads_the_live_topics_and_cannot_write(kafka_cluster: ClusterSettings) -> None:
    dashboard, streams = as_user(kafka_cluster, "dashboard"), as_user(kafka_cluster, "streams")
    mark = f"chart-{uuid.uuid4()}".encode()  # the profile's workers publish on the live topic too
    async with AIOKafkaProducer(**aiokafka_connection(streams), acks="all") as producer:
        sent = await producer.send_and_wait(streams.live_topic, mark, partition=0)
    consumer = AIOKafkaConsumer(**aiokafka_connection(dashboard))
    # Manual assignment, as dashboard-api's live feed reads (its position is committed apart, under
    # KAFKA_DASHBOARD_GROUP, by a consumer that never joins the group).
    async with consumer:
        live, hours = TopicPartition(dashboard.live_topic, 0), TopicPartition(dashboard.live_hours_topic, 0)
        consumer.assign([live, hours])
        consumer.seek(live, sent.offset)
        await consumer.seek_to_beginning(hours)
        batch = await consumer.getmany(live, timeout_ms=10_000)
    assert mark in [r.value for rs in batch.values() for r in rs]
    await refused_writes(dashboard, dashboard.live_topic, dashboard.plays_topic)


async def test_lake_reads_plays_under_sparks_group_prefix_only(kafka_cluster: ClusterSettings) -> None:
    lake = as_user(kafka_cluster, "lake")
    group = f"spark-kafka-source-{uuid.uuid4()}-driver-0"
    assert await consume_all(lake, lake.plays_topic, lake.plays_partitions, group)  # the first test's plays
    with pytest.raises(GroupAuthorizationFailedError):
        await consume_all(lake, lake.plays_topic, lake.plays_partitions, "some-other-group")
    await refused_writes(lake, lake.plays_topic)


async def test_monitor_reads_plays_and_cannot_write(kafka_cluster: ClusterSettings) -> None:
    monitor = as_user(kafka_cluster, "monitor")
    ingest = as_user(kafka_cluster, "ingest")
    mark = f"play-{uuid.uuid4()}".encode()
    async with AIOKafkaProducer(**aiokafka_connection(ingest), acks="all") as producer:
        sent = await producer.send_and_wait(ingest.plays_topic, mark, partition=0)
    # Assigned, without a group, as the monitor reads the record at a consumer's position.
    async with AIOKafkaConsumer(**aiokafka_connection(monitor), enable_auto_commit=False) as consumer:
        played = TopicPartition(monitor.plays_topic, 0)
        consumer.assign([played])
        consumer.seek(played, sent.offset)
        batch = await consumer.getmany(played, timeout_ms=10_000)
    assert mark in [r.value for rs in batch.values() for r in rs]
    await refused_writes(monitor, monitor.plays_topic, monitor.live_topic)


async def test_each_service_sees_only_its_topics(kafka_cluster: ClusterSettings) -> None:
    kafka = as_user(kafka_cluster, "admin")
    plays, dlq, live, hours = (
        kafka.plays_topic,
        kafka.dead_letter_topic,
        kafka.live_topic,
        kafka.live_hours_topic,
    )
    async with AIOKafkaConsumer(**aiokafka_connection(kafka)) as admin:
        # The Faust workers' own topics (changelog, assignor), under their app id's prefix.
        own = {t for t in await admin.topics() if t.startswith(f"{kafka_cluster.streams_app_id}-")}
    assert own, "the profile's streams workers made their topics"
    visible = {
        "ingest": {plays},
        "streams": {plays, dlq, live, hours, *own},
        "dashboard": {live, hours},
        "lake": {plays},
        "monitor": {plays, dlq, live},
        "admin": {plays, dlq, live, hours, *own},
    }
    for user, expected in visible.items():
        consumer = AIOKafkaConsumer(**aiokafka_connection(as_user(kafka_cluster, user)))
        async with consumer:
            # Describe is part of every grant: a topic outside a service's ACLs is not even listed.
            seen = {t for t in await consumer.topics() if not t.startswith("__")}
        assert seen == expected, user


async def test_plaintext_and_wrong_password_are_refused(kafka_cluster: ClusterSettings) -> None:
    plaintext = AIOKafkaProducer(
        bootstrap_servers=kafka_cluster.kafka_bootstrap_servers, request_timeout_ms=5000
    )
    with pytest.raises(KafkaError):
        await plaintext.start()
    await plaintext.stop()
    wrong = service_kafka_settings(kafka_cluster, "ingest", sasl_password="not-the-password")
    producer = AIOKafkaProducer(**aiokafka_connection(wrong), request_timeout_ms=5000)
    with pytest.raises(KafkaError):
        await producer.start()
    await producer.stop()


async def test_topics_are_replicated_three_times_with_min_isr_two(kafka_cluster: ClusterSettings) -> None:
    admin_settings = as_user(kafka_cluster, "admin")
    admin = AIOKafkaAdminClient(**aiokafka_connection(admin_settings))
    await admin.start()
    try:
        names = [admin_settings.plays_topic, admin_settings.live_topic, "__consumer_offsets"]
        topics = await admin.describe_topics(names)
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    finally:
        await admin.close()
    assert {t["topic"] for t in topics} == set(names)  # offsets exist: the tests above used groups
    for topic in topics:
        assert topic["partitions"], topic
        assert all(len(p["replicas"]) == 3 and len(p["isr"]) == 3 for p in topic["partitions"]), topic
    plays = next(t for t in topics if t["topic"] == admin_settings.plays_topic)
    assert len(plays["partitions"]) == kafka_cluster.kafka_partitions
    for response in configs:
        for resource in response.resources:
            entries = {entry[0]: entry[1] for entry in resource[4]}
            assert entries["min.insync.replicas"] == "2", resource[3]


def test_status_names_the_leader_and_shows_no_secret(kafka_cluster: ClusterSettings) -> None:
    statuses = [part.status() for part in nodes(kafka_cluster)]
    assert all(s.healthy for s in statuses), statuses
    assert f"controller leader: node {controller_leader(kafka_cluster)}" in statuses[-1].detail
    assert "0 under-replicated" in statuses[-1].detail
    passwords = [kafka_password(kafka_cluster, user).get_secret_value() for user in KAFKA_USERS]
    shown = repr(statuses) + "".join(p.read_text() for p in kafka_cluster.logs_dir.glob("*.log"))
    assert not any(pw in shown for pw in passwords)
