"""Agents and timers: count plays batch by batch into the ledger, dead-letter poison, publish candidates."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterable

import faust
from faust.types import EventT, TopicT
from prometheus_client import start_http_server
from topsongs_core.events import decode

from streams import metrics
from streams.charts import Counted, LiveCharts, Outgoing
from streams.settings import StreamsSettings
from streams.tables import PartitionKeyedTable
from streams.topics import LiveTopics


def register(
    app: faust.App,
    settings: StreamsSettings,
    topics: LiveTopics,
    ledger: PartitionKeyedTable,
    charts: LiveCharts,
) -> None:
    """Add the counting agent, the compaction timer and the publisher and metrics tasks to ``app``."""
    plays_topic = topics.plays
    # Set by the agent when a counted batch changed a region that may be published at once.
    counted = asyncio.Event()

    def active_partitions() -> set[int]:
        topic = plays_topic.get_topic_name()
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}

    @ledger.on_recover
    async def restore() -> None:
        """Rebuild every partition's state and the standings from the recovered ledger."""
        charts.restore(time.time())

    @app.agent(plays_topic, name="streams.agents.count_plays")
    async def count_plays(stream: AsyncIterable[EventT]) -> None:
        """Count a batch of plays at a time (one ledger write per partition); dead-letter poison."""
        batches = stream.take_events(settings.batch_max, within=settings.batch_within_s)  # type: ignore[attr-defined]
        async for events in batches:
            plays: list[Counted] = []
            for event in events:
                try:
                    play = decode(event.value, settings.contract)
                except (ValueError, TypeError) as exc:  # orjson and pydantic errors are ValueErrors
                    await dead_letter(topics.dead_letter, event, exc)
                    continue
                if event.key != play.kafka_key():
                    # Exactness needs every play of a (region, song) on one partition: re-key it.
                    metrics.plays_rerouted.inc()
                    await plays_topic.send(key=play.kafka_key(), value=event.value)
                    continue
                message = event.message
                # Kafka's timestamp (seconds): when ingest sent the accepted play, for the board's latency.
                plays.append((message.partition, message.offset, play, message.timestamp))
            # No awaits in count: a recovery cannot interleave with a half-applied batch.
            if charts.count(plays, time.time()):
                counted.set()

    @app.timer(interval=settings.compact_interval_s, name="streams.agents.compact_ledger")
    async def compact_ledger() -> None:
        """Close hours, seal closed minutes, expire old ones and fingerprints, delete spent deltas."""
        if app.rebalancing or app.in_recovery:
            return
        # Sent only after the ledger writes: a crash in between republishes from the ledger after recovery.
        await send(topics.live_hours, charts.compact(active_partitions(), time.time()))

    @app.task
    async def publish_partials() -> None:
        """Publish changed (region, window) candidates: at once after a quiet interval, else at its end."""
        while not app.should_stop:
            delay = charts.throttle.interval  # idle ticks still catch minute boundaries and republishing
            if not (app.rebalancing or app.in_recovery):
                await send(topics.live, charts.due_partials(active_partitions(), time.time()))
                delay = charts.next_due(time.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await counted.wait()
            counted.clear()

    @app.task
    async def serve_metrics() -> None:
        """Expose Prometheus metrics on ``STREAMS_METRICS_HOST`` when ``STREAMS_METRICS_PORT`` is set."""
        if settings.metrics_port is not None:
            start_http_server(settings.metrics_port, addr=settings.metrics_host)


async def send(topic: TopicT, records: list[Outgoing]) -> None:
    """Send ``(key, value)`` records in order."""
    for key, value in records:
        await topic.send(key=key, value=value)


async def dead_letter(topic: TopicT, event: EventT, exc: Exception) -> None:
    """Forward the original bytes with the error in headers."""
    message = event.message
    metrics.plays_dead_lettered.labels(type(exc).__name__).inc()
    await topic.send(
        key=message.key,
        value=message.value,
        headers=[
            ("error", str(exc)[:2000].encode()),
            ("error_type", type(exc).__name__.encode()),
            ("source", f"{message.topic}/{message.partition}/{message.offset}".encode()),
        ],
    )
