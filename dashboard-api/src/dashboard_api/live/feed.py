"""Consumes the live topic into the board and flushes the board at the configured rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from dashboard_api.consumer import ReconnectingConsumer, partitions
from dashboard_api.live.board import LiveBoard
from dashboard_api.settings import DashboardSettings

log = logging.getLogger(__name__)

# WebSocket close code of every client while the feed is offline (docs/api.md).
OFFLINE = 4503


class LiveFeed:
    """Reads chart candidates from Kafka, starting a bounded backlog before the end of the topic.

    The broker may be down: the feed then reports ``online`` False and keeps trying, and the board
    keeps what it had.
    """

    def __init__(
        self, settings: DashboardSettings, board: LiveBoard, on_change: Callable[[bool], None] | None = None
    ) -> None:
        self.settings = settings
        self.board = board
        self.consumer = ReconnectingConsumer(
            settings.kafka,
            "live feed",
            self._assign,
            self._read,
            topics=[settings.kafka.live_topic],
            on_change=on_change,
            group=settings.kafka.dashboard_group,
        )
        self.flusher: asyncio.Task[None] | None = None
        self.changed = asyncio.Event()
        # Kafka time (ms) of the last (re)assignment: older records are the replayed backlog, whose
        # plays were pushed long ago (or never here): left out of the push latency.
        self.live_since_ms = 0

    @property
    def online(self) -> bool:
        """Whether the live topic is being read now."""
        return self.consumer.online

    async def start(self) -> None:
        """Start connecting (in the background) and the flush loop."""
        await self.consumer.start()
        self.flusher = asyncio.create_task(self._flush())

    async def stop(self) -> None:
        """Stop the flush loop and release the consumer."""
        if self.flusher is not None:
            self.flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.flusher
        await self.consumer.stop()

    async def __aenter__(self) -> LiveFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _assign(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        tps = await partitions(consumer, self.settings.kafka.live_topic)
        self.live_since_ms = int(time.time() * 1000)
        consumer.assign(tps)
        begins = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(begins[tp], ends[tp] - self.settings.live_backlog))
        return tps

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for record in records:
                try:
                    self.board.ingest(record.value, measure=record.timestamp >= self.live_since_ms)
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("skipping bad live message at %s: %r", record.offset, exc)
        if batches:
            self.changed.set()

    async def _flush(self) -> None:
        while True:
            # Woken by new candidates, or when a change held back by the rate limit may go out.
            wait = self.board.flush()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self.changed.wait()
            self.changed.clear()
