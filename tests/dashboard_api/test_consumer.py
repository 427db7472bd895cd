"""The live topics' consumers on real Kafka: every partition is read, a missing topic is an error."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError
from dashboard_api.consumer import partitions
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.settings import DashboardSettings
from topsongs_core.settings import KafkaSettings
from topsongs_devstack.kafka import ensure_topics

from tests.dashboard_api.messages import one_song


async def test_partitions_lists_every_partition_and_refuses_a_missing_topic(kafka_settings: KafkaSettings):
    wide = f"{kafka_settings.live_topic}-wide"
    await ensure_topics(kafka_settings, wide)
    async with AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers) as consumer:
        assert [tp.partition for tp in await partitions(consumer, wide)] == list(
            range(kafka_settings.plays_partitions)
        )
        with pytest.raises(UnknownTopicOrPartitionError):
            await partitions(consumer, f"missing-{uuid.uuid4().hex}")


async def test_live_feed_reads_a_record_on_the_last_partition(kafka_settings: KafkaSettings):
    kafka = kafka_settings.model_copy(update={"live_topic": f"{kafka_settings.live_topic}-wide"})
    await ensure_topics(kafka_settings, kafka.live_topic)
    async with AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers) as producer:
        await producer.send_and_wait(
            kafka.live_topic, one_song("s-9", 1), partition=kafka.plays_partitions - 1
        )
    async with FanoutHub(4) as hub:
        board = LiveBoard(("US",), ("5m",), 10, hub, 100.0)
        async with LiveFeed(DashboardSettings(kafka=kafka), board) as feed:
            assert await feed.consumer.wait_online(30)
            deadline = time.monotonic() + 30
            while not board.snapshot("US", "5m").entries:
                assert time.monotonic() < deadline, "the record on the last partition was not read"
                await asyncio.sleep(0.1)
    assert board.snapshot("US", "5m").entries[0].song_id == "s-9"
