"""The live topics' consumers on real Kafka: every partition is read, a missing topic is an error, the
live feed's position is measurable from outside."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from dashboard_api.consumer import ReconnectingConsumer, partitions
from dashboard_api.live.board import LiveBoard
from dashboard_api.live.feed import LiveFeed
from dashboard_api.live.hub import FanoutHub
from dashboard_api.settings import DashboardSettings
from topsongs_charts.lag import group_positions, measure
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


async def test_live_feed_commits_its_position_so_a_stopped_api_shows_lag(kafka_settings: KafkaSettings):
    """dashboard-api's position is committed under KAFKA_DASHBOARD_GROUP (never joined): the monitor's
    reader sees it caught up while it runs, then the records published after it stopped as lag."""
    topic = kafka_settings.live_topic
    async with AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers) as producer:
        for i in range(3):
            await producer.send_and_wait(topic, one_song(f"s-{i}", 1), partition=0)
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
        await admin.start()
        try:
            async with FanoutHub(4) as hub:
                board = LiveBoard(("US",), ("5m",), 10, hub, 100.0)
                async with LiveFeed(DashboardSettings(kafka=kafka_settings), board) as feed:
                    assert await feed.consumer.wait_online(30)
                    deadline = time.monotonic() + 60
                    while await group_positions(admin, kafka_settings.dashboard_group) != {
                        TopicPartition(topic, 0): 3
                    }:
                        assert time.monotonic() < deadline, "the feed did not commit its position"
                        await asyncio.sleep(0.2)
            # Stopped: what the live worker publishes now piles up, as old as its Kafka timestamps.
            published = time.time() - 20
            for i in range(2):
                await producer.send_and_wait(
                    topic, one_song("s-9", 1), partition=0, timestamp_ms=int((published + i) * 1000)
                )
            async with AIOKafkaConsumer(bootstrap_servers=kafka_settings.bootstrap_servers) as reader:
                positions = await group_positions(admin, kafka_settings.dashboard_group)
                [lag] = await measure(reader, "dashboard-api", positions, 10)
        finally:
            await admin.close()
    assert (lag.topic, lag.records) == (topic, 2)
    assert lag.seconds >= 20


async def test_stop_ends_the_consumer_when_a_call_swallows_the_cancellation(kafka_settings: KafkaSettings):
    """Python 3.11's asyncio.wait_for returns instead of raising when a cancellation meets the call's
    completion (seen in CI: an app that never stopped). A poll that does the same must not keep the
    consumer running past stop()."""
    swallowed = asyncio.Event()

    async def assign(consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        tps = await partitions(consumer, kafka_settings.live_topic)
        consumer.assign(tps)
        return tps

    async def poll(consumer: AIOKafkaConsumer) -> None:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            if swallowed.is_set():
                raise
            swallowed.set()  # once, as wait_for does when the awaited call has just finished

    reader = ReconnectingConsumer(
        kafka_settings, "swallowing", assign, poll, topics=[kafka_settings.live_topic]
    )
    await reader.start()
    assert await reader.wait_online(30)
    stopping = asyncio.create_task(reader.stop())
    await asyncio.wait({stopping}, timeout=30)
    assert swallowed.is_set()
    assert stopping.done(), "stop() did not return: the consumer's loop ran on"
    assert reader.task is not None and reader.task.done()
