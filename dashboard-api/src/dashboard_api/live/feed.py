"""Consumes the live topic into the board and flushes the board at the configured rate."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from topsongs_core.kafka_options import aiokafka_connection

from dashboard_api.live.board import LiveBoard
from dashboard_api.settings import DashboardSettings

log = logging.getLogger(__name__)


class LiveFeed:
    """Reads chart candidates from Kafka, starting a bounded backlog before the end of the topic."""

    def __init__(self, settings: DashboardSettings, board: LiveBoard) -> None:
        self.settings = settings
        self.board = board
        self.consumer = AIOKafkaConsumer(**aiokafka_connection(settings.kafka), enable_auto_commit=False)
        self.tasks: list[asyncio.Task[None]] = []
        self.changed = asyncio.Event()

    async def start(self) -> None:
        """Connect, seek to the backlog and start the read and flush loops."""
        await self.consumer.start()
        topic = self.settings.kafka.live_topic
        await self.consumer.topics()
        tps = [TopicPartition(topic, p) for p in sorted(self.consumer.partitions_for_topic(topic) or {0})]
        self.consumer.assign(tps)
        begins = await self.consumer.beginning_offsets(tps)
        ends = await self.consumer.end_offsets(tps)
        for tp in tps:
            self.consumer.seek(tp, max(begins[tp], ends[tp] - self.settings.live_backlog))
        self.tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._flush())]

    async def stop(self) -> None:
        """Stop the loops and the consumer."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.consumer.stop()

    async def __aenter__(self) -> LiveFeed:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _read(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    try:
                        self.board.ingest(orjson.loads(record.value))
                    except (ValueError, KeyError, TypeError) as exc:
                        log.warning("skipping bad live message at %s: %r", record.offset, exc)
            if batches:
                self.changed.set()

    async def _flush(self) -> None:
        while True:
            # Woken by new candidates, or when a change held back by the rate limit may go out.
            wait = self.board.flush()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)
            self.changed.clear()
