"""Lag from outside the consumers: a group's committed offsets and the lake checkpoint's, in records
and in the age of the oldest record not processed yet."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from topsongs_charts.freshness import newest_before
from topsongs_charts.lag import Lag, group_positions, lake_positions, measure
from topsongs_charts.lake import Lake
from topsongs_charts.lake_reader import LakeReader
from topsongs_charts.progress import checkpoint_key
from topsongs_charts.settings import ChartsSettings
from topsongs_core.lake_layout import LakeLayout
from topsongs_core.settings import KafkaSettings, S3Settings
from topsongs_devstack.objectstore import s3_client

# Ten plays on partition 0, the first an hour ago and each next one a second younger.
PLAYS = 10
AGE_S = 3600.0


@pytest.fixture
async def topic(kafka_settings: KafkaSettings) -> float:
    """The plays; returns the first one's timestamp (epoch seconds)."""
    first = time.time() - AGE_S
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all") as producer:
        for i in range(PLAYS):
            await producer.send_and_wait(
                kafka_settings.plays_topic, b"play", partition=0, timestamp_ms=int((first + i) * 1000)
            )
    return first


@pytest.fixture
async def reader(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer without a group, as the monitor reads with."""
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers, group_id=None, enable_auto_commit=False
    ) as consumer:
        yield consumer


@pytest.fixture
async def admin(kafka_settings: KafkaSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    """The admin client the monitor asks for group offsets and partitions."""
    client = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await client.start()
    yield client
    await client.close()


def plays_lag(lags: list[Lag], topic: str) -> Lag:
    """The one measurement of ``topic``."""
    [lag] = [lag for lag in lags if lag.topic == topic]
    return lag


async def test_group_lag_counts_records_and_ages_the_oldest(
    kafka_settings: KafkaSettings, topic: float, reader: AIOKafkaConsumer, admin: AIOKafkaAdminClient
) -> None:
    group = f"lag-test-{uuid.uuid4().hex[:8]}"
    partition = TopicPartition(kafka_settings.plays_topic, 0)
    # No auto-commit: closing would otherwise commit the member's own position over the 4 (seen once).
    async with AIOKafkaConsumer(
        bootstrap_servers=kafka_settings.bootstrap_servers, group_id=group, enable_auto_commit=False
    ) as member:
        member.assign([partition])
        await member.commit({partition: OffsetAndMetadata(4, "")})
    positions = await group_positions(admin, group)
    assert positions == {partition: 4}

    lag = plays_lag(await measure(reader, group, positions, wait_s=60), kafka_settings.plays_topic)
    assert (lag.consumer, lag.records) == (group, PLAYS - 4)
    # The record at offset 4 was stamped 4 s after the first: its age when measured lies between
    # its age at the start and now (a broker that just started can be slow to answer at first).
    assert AGE_S - 4 <= lag.seconds <= time.time() - topic - 4

    caught_up = {partition: PLAYS}
    assert await measure(reader, group, caught_up, wait_s=10) == [
        Lag(group, kafka_settings.plays_topic, 0, 0.0)
    ]


async def test_lake_lag_comes_from_the_newest_checkpoint_commit(
    kafka_settings: KafkaSettings,
    s3_settings: S3Settings,
    topic: float,
    reader: AIOKafkaConsumer,
    admin: AIOKafkaAdminClient,
) -> None:
    settings = ChartsSettings(
        kafka=kafka_settings,
        s3=s3_settings,
        lake=LakeLayout(checkpoint_location=f"tests/lag-{uuid.uuid4().hex[:8]}"),
    )
    checkpoint = checkpoint_key(settings)
    s3 = s3_client(s3_settings)
    # As Spark writes them: batch 1's offsets exist but it has not committed, so batch 0 counts.
    for batch, offset in ((0, 7), (1, 9)):
        source = {kafka_settings.plays_topic: {"0": offset, "1": 0}}
        body = f'v1\n{{"batchWatermarkMs":0}}\n{json.dumps(source)}'
        s3.put_object(Bucket=s3_settings.bucket, Key=f"{checkpoint}/offsets/{batch}", Body=body.encode())
    s3.put_object(
        Bucket=s3_settings.bucket, Key=f"{checkpoint}/commits/0", Body=b'v1\n{"nextBatchWatermarkMs":0}'
    )
    try:
        async with LakeReader.open(s3_settings) as reader_of_lake:
            positions = await lake_positions(admin, settings, reader_of_lake)
        assert positions[TopicPartition(kafka_settings.plays_topic, 0)] == 7
        assert len(positions) == kafka_settings.plays_partitions

        lag = plays_lag(await measure(reader, "lake", positions, wait_s=60), kafka_settings.plays_topic)
        assert lag.records == PLAYS - 7
        assert AGE_S - 7 <= lag.seconds <= time.time() - topic - 7
        # The lake's freshness: the newest play it committed is the one before offset 7.
        assert await newest_before(reader, positions, wait_s=60) == pytest.approx(topic + 6, abs=0.002)
    finally:
        Lake.from_s3(s3_settings).remove_tree(checkpoint.rsplit("/", 1)[0])
