"""Consumer lag measured from outside the consumers: in records, and in seconds as the age of the
oldest record a consumer has not processed yet (so a dead consumer still shows a growing lag)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from topsongs_charts.lake_reader import LakeReader
from topsongs_charts.progress import checkpoint_key, read_lake_offsets
from topsongs_charts.settings import ChartsSettings

Positions = dict[TopicPartition, int]


@dataclass(frozen=True)
class Lag:
    """How far one consumer is behind on one topic: records, and the oldest one's age."""

    consumer: str
    topic: str
    records: int
    seconds: float


async def group_positions(admin: AIOKafkaAdminClient, group: str) -> Positions:
    """The offsets a consumer group committed (the next record it will process), per partition."""
    committed = await admin.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in committed.items() if meta.offset >= 0}


async def topic_partitions(admin: AIOKafkaAdminClient, topic: str) -> list[TopicPartition]:
    """Every partition of ``topic`` (none when it does not exist)."""
    [described] = await admin.describe_topics([topic])
    if described["error_code"] != 0:
        return []
    return sorted(TopicPartition(topic, p["partition"]) for p in described["partitions"])


async def lake_positions(admin: AIOKafkaAdminClient, settings: ChartsSettings, lake: LakeReader) -> Positions:
    """The lake job's position: the offsets its newest checkpoint commit holds (Spark commits none
    to Kafka); a partition it has not read yet is at 0."""
    topic = settings.kafka.plays_topic
    held = await read_lake_offsets(lake, checkpoint_key(settings), topic)
    return {tp: held.get(tp.partition, 0) for tp in await topic_partitions(admin, topic)}


async def measure(reader: AIOKafkaConsumer, consumer: str, positions: Positions, wait_s: float) -> list[Lag]:
    """Lag per topic of ``consumer`` at ``positions``, read with ``reader`` (a consumer without a
    group): records summed over partitions, seconds the oldest unprocessed record's age."""
    if not positions:
        return []
    now = time.time()
    ends = await reader.end_offsets(list(positions))
    starts = await reader.beginning_offsets(list(positions))
    # Records removed by retention can no longer be processed: they are not lag.
    at = {tp: max(offset, starts[tp]) for tp, offset in positions.items()}
    behind = {tp: ends[tp] - at[tp] for tp in positions if ends[tp] > at[tp]}
    oldest = await first_timestamps(reader, {tp: at[tp] for tp in behind}, wait_s)
    lags: dict[str, Lag] = {}
    for tp in positions:
        age = max(now - oldest[tp], 0.0) if tp in oldest else 0.0
        seen = lags.get(tp.topic, Lag(consumer, tp.topic, 0, 0.0))
        lags[tp.topic] = Lag(consumer, tp.topic, seen.records + behind.get(tp, 0), max(seen.seconds, age))
    return list(lags.values())


async def first_timestamps(
    reader: AIOKafkaConsumer, offsets: Positions, wait_s: float
) -> dict[TopicPartition, float]:
    """The timestamp (epoch seconds) of the record at each offset; partitions that answer nothing
    within ``wait_s`` are left out."""
    if not offsets:
        return {}
    reader.assign(list(offsets))
    for tp, offset in offsets.items():
        reader.seek(tp, offset)
    found: dict[TopicPartition, float] = {}
    deadline = time.monotonic() + wait_s
    while len(found) < len(offsets) and time.monotonic() < deadline:
        batch = await reader.getmany(*[tp for tp in offsets if tp not in found], timeout_ms=500)
        for tp, records in batch.items():
            if records and tp not in found:
                found[tp] = records[0].timestamp / 1000
    reader.assign([])
    return found
