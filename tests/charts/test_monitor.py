"""One round of the lag monitor sets the gauges Prometheus scrapes, for the live group and the lake."""

from __future__ import annotations

import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY
from topsongs_charts.lake import Lake
from topsongs_charts.monitor import measure_once
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import KafkaSettings, S3Settings


async def test_one_round_sets_lag_end_offsets_and_last_success(
    kafka_settings: KafkaSettings, s3_settings: S3Settings
) -> None:
    group = f"monitor-test-{uuid.uuid4().hex[:8]}"
    topic = kafka_settings.plays_topic
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all") as producer:
        for _ in range(5):
            await producer.send_and_wait(topic, b"play", partition=0)
    async with AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers, group_id=group) as member:
        member.assign([TopicPartition(topic, 0)])
        await member.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "")})
    # No lake job wrote this checkpoint: the lake has read nothing of the topic.
    settings = ChartsSettings(
        kafka=kafka_settings,
        s3=s3_settings,
        live_group=group,
        lake=LakeLayout(checkpoint_location=f"tests/monitor-{group}"),
        monitor_interval_s=5,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    started = time.time()
    try:
        async with AIOKafkaConsumer(
            bootstrap_servers=kafka_settings.bootstrap_servers, group_id=None
        ) as reader:
            await measure_once(settings, admin, reader, Lake.from_s3(s3_settings))
    finally:
        await admin.close()

    def sample(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    assert sample("topsongs_consumer_lag_records", consumer=group, topic=topic) == 3
    assert sample("topsongs_consumer_lag_records", consumer="lake", topic=topic) == 5
    assert sample("topsongs_topic_end_offset", topic=topic) == 5
    assert sample("topsongs_topic_end_offset", topic=kafka_settings.dead_letter_topic) == 0
    for consumer in (group, "lake"):
        assert (sample("topsongs_monitor_last_success_timestamp_seconds", consumer=consumer) or 0) >= started
        assert sample("topsongs_monitor_errors_total", consumer=consumer) is None
