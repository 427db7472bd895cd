"""The one shared Kafka producer: acks=all, idempotent, batched, every wait bounded."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError
from aiokafka.partitioner import murmur2
from topsongs_core.events import PlayEvent, encode_many
from topsongs_core.kafka_access import KafkaAccessError, check_kafka_access, explain_kafka_error
from topsongs_core.kafka_options import aiokafka_connection

from ingest import metrics
from ingest.settings import IngestSettings

log = logging.getLogger("ingest")

CLIENT_ID = "topsongs-ingest"

# From this many events on, a request's events are packed into per-partition record batches
# directly (one future per batch instead of one per event); fewer ride the shared linger batches.
BULK_THRESHOLD = 32


@lru_cache(maxsize=65536)
def partition_for(key: bytes, partitions: int) -> int:
    """The Java client's default partitioner (murmur2), so any producer agrees on placement."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def records_by_partition(
    events: Sequence[PlayEvent], partitions: int
) -> dict[int, list[tuple[bytes, bytes]]]:
    """(key, value) records grouped by partition, in request order; values encoded in one call."""
    by_partition: defaultdict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
    for event, value in zip(events, encode_many(events), strict=True):
        key = event.kafka_key()
        by_partition[partition_for(key, partitions)].append((key, value))
    return by_partition


class BrokerUnavailable(RuntimeError):
    """Kafka did not acknowledge in time; the client should retry later with the same event ids."""


class PlayPublisher:
    """Publishes play events and returns only once Kafka acknowledged all of them."""

    def __init__(self, settings: IngestSettings) -> None:
        self.settings = settings
        self.topic = settings.kafka.plays_topic
        self._producer: AIOKafkaProducer | None = None
        # One start attempt shared by every request that needs it; each waits on it only within
        # its own deadline, so a broker that never answers cannot make requests queue in turn.
        self._starting: asyncio.Task[AIOKafkaProducer] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def _new_producer(self) -> AIOKafkaProducer:
        kafka = self.settings.kafka
        timeout_ms = int(self.settings.produce_timeout_s * 1000)
        return AIOKafkaProducer(
            **aiokafka_connection(kafka, client_id=CLIENT_ID),
            acks="all",
            enable_idempotence=True,
            linger_ms=self.settings.linger_ms,
            max_batch_size=self.settings.max_batch_bytes,
            compression_type=self.settings.compression,
            request_timeout_ms=timeout_ms,
            retry_backoff_ms=100,
        )

    async def start(self) -> None:
        """Connect in the background; ingest starts even while the broker is still down.

        Wrong credentials or a plays topic outside ingest's ACLs raise `KafkaAccessError` here when
        the brokers say so within the start's second (they do in well under one); later, each request
        that needs the producer answers 503 naming it.
        """
        try:
            async with asyncio.timeout(1.0):
                await asyncio.shield(self._started())
        except TimeoutError:
            pass  # the attempt goes on in the background; readiness reports it meanwhile

    def _started(self) -> asyncio.Future[AIOKafkaProducer]:
        """The started producer, or the one attempt to start it that is under way."""
        if self._producer is not None:
            done: asyncio.Future[AIOKafkaProducer] = asyncio.get_running_loop().create_future()
            done.set_result(self._producer)
            return done
        if self._starting is None or self._starting.done():
            self._starting = asyncio.create_task(self._start_producer())
            # A request that gave up (its deadline) leaves the outcome unread: read it here.
            self._starting.add_done_callback(lambda t: t.cancelled() or t.exception())
        return self._starting

    async def _start_producer(self) -> AIOKafkaProducer:
        kafka, timeout_s = self.settings.kafka, self.settings.produce_timeout_s
        producer = self._new_producer()
        try:
            async with asyncio.timeout(timeout_s):
                # aiokafka reports a refused login as "Unable to bootstrap", as if the broker were down.
                await check_kafka_access(
                    kafka, topics={self.topic: "Write"}, client_id=CLIENT_ID, timeout_s=timeout_s
                )
                await producer.start()
        except (TimeoutError, KafkaError, OSError) as exc:
            self._close_later(producer)
            raise BrokerUnavailable(f"Kafka is not reachable: {exc!r}") from exc
        except (KafkaAccessError, asyncio.CancelledError):
            self._close_later(producer)
            raise
        self._producer = producer
        return producer

    def _close_later(self, producer: AIOKafkaProducer) -> None:
        # Closing talks to the broker too; nobody waiting for an answer should wait for it.
        task = asyncio.get_running_loop().create_task(_quiet_stop(producer))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def stop(self) -> None:
        """Flush what is in flight and close."""
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            await asyncio.wait([self._starting])
        self._starting = None
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await _quiet_stop(producer, flush=True)
        if self._closing:
            await asyncio.wait(self._closing)

    async def __aenter__(self) -> PlayPublisher:
        try:
            await self.start()
        except BrokerUnavailable:
            pass  # readiness reports it; requests retry the connection
        except KafkaAccessError as exc:
            log.error("not starting: %s", exc)
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def publish(self, events: Sequence[PlayEvent]) -> None:
        """Send all events and wait for every acknowledgement, or raise BrokerUnavailable.

        `KafkaAccessError` when Kafka refuses ingest's credentials or the plays topic.
        """
        # One deadline for the whole request: producer start, queueing, send and acknowledgement.
        deadline = asyncio.get_running_loop().time() + self.settings.produce_timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                producer = await asyncio.shield(self._started())
        except TimeoutError as exc:
            raise BrokerUnavailable(f"Kafka did not answer the producer start: {exc!r}") from exc
        began = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                if len(events) >= BULK_THRESHOLD:
                    futures = await self._send_bulk(producer, events)
                else:
                    futures = [
                        await producer.send(self.topic, value=event.to_json(), key=event.kafka_key())
                        for event in events
                    ]
                await asyncio.gather(*futures)
        except (TimeoutError, KafkaError) as exc:
            self._reset_if_broken(producer, exc)
            refused = explain_kafka_error(exc, self.settings.kafka, operation="Write", topic=self.topic)
            if refused is not None:
                raise refused from exc
            raise BrokerUnavailable(f"Kafka did not acknowledge: {exc!r}") from exc
        finally:
            metrics.PRODUCE_LATENCY.observe(time.perf_counter() - began)

    async def _send_bulk(
        self, producer: AIOKafkaProducer, events: Sequence[PlayEvent]
    ) -> list[asyncio.Future[object]]:
        async with asyncio.timeout(5):
            partitions = len(await producer.partitions_for(self.topic))
        futures = []
        for partition, records in records_by_partition(events, partitions).items():
            batch = producer.create_batch()
            for key, value in records:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    futures.append(await self._enqueue(producer, batch, partition))
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
            futures.append(await self._enqueue(producer, batch, partition))
        return futures

    async def _enqueue(
        self, producer: AIOKafkaProducer, batch: Any, partition: int
    ) -> asyncio.Future[object]:
        # aiokafka queues one record batch per partition and waits for the previous one to drain;
        # its wait gives up early (it subtracts the elapsed time cumulatively), so keep waiting
        # until publish()'s own bound expires instead of failing a healthy request.
        while True:
            try:
                return await producer.send_batch(batch, self.topic, partition=partition)
            except KafkaTimeoutError:
                continue

    def _reset_if_broken(self, producer: AIOKafkaProducer, exc: BaseException) -> None:
        # An idempotent producer whose batches expired can be left with a stale sequence state;
        # a fresh producer (new producer id) is the documented way out.
        if isinstance(exc, TimeoutError | KafkaTimeoutError):
            return
        if self._producer is producer:
            self._producer = None
            self._close_later(producer)

    async def ready(self) -> bool:
        """True when the broker answers a metadata request within a second (start included)."""
        try:
            async with asyncio.timeout(1.0):
                producer = await asyncio.shield(self._started())
                await producer.client.fetch_all_metadata()
            return True
        except (BrokerUnavailable, KafkaAccessError, TimeoutError, KafkaError, OSError):
            return False


async def _quiet_stop(producer: AIOKafkaProducer, flush: bool = False) -> None:
    try:
        if flush:
            async with asyncio.timeout(5):
                await producer.flush()
    except (TimeoutError, KafkaError):
        pass
    try:
        async with asyncio.timeout(5):
            await producer.stop()
    except (TimeoutError, KafkaError, OSError):
        pass
