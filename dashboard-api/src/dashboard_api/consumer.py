"""A Kafka consumer that connects in the background, says whether it is online and reconnects by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError, UnknownTopicOrPartitionError
from topsongs_core.kafka_access import KafkaAccessError, check_kafka_access, explain_kafka_error
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings

log = logging.getLogger(__name__)

Assign = Callable[[AIOKafkaConsumer], Awaitable[list[TopicPartition]]]
Poll = Callable[[AIOKafkaConsumer], Awaitable[None]]


async def partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Every partition of ``topic``; a KafkaError while the broker does not know the topic (yet)."""
    if topic not in await consumer.topics():
        raise UnknownTopicOrPartitionError(topic)
    # The client keeps metadata only of topics it tracks (partitions_for_topic is None before):
    # asking for one partition's offsets makes it fetch the topic's, so a wider topic is read whole.
    first = TopicPartition(topic, 0)
    consumer.assign([first])
    await consumer.end_offsets([first])
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]


class ReconnectingConsumer:
    """Runs ``assign`` once per connection and ``poll`` in a loop, on a consumer of its own.

    A broker that is down never fails ``start()``: connecting is retried with exponential backoff
    (``retry_s`` doubling up to ``max_retry_s``) and every failed attempt stops its consumer. While
    connected, the end offsets are fetched every ``probe_s``: aiokafka reconnects a started consumer
    silently, so this probe is what notices a broker that went away (and came back).

    Wrong credentials or ``topics`` outside the user's ACLs do fail ``start()`` (`KafkaAccessError`,
    when a broker answers within ``check_s``): retrying would never read anything.

    With a ``group``, the position of what ``poll`` has consumed is committed under it at most every
    ``commit_s``: nothing joins the group, the commits only let the lag be measured from outside
    (docs/observability.md). A refused commit is logged, not fatal. They go through a second
    consumer, given the group and the partitions once: aiokafka's group coordinator can trip over
    the reading consumer's two ``assign`` calls in a row (`partitions`, then ``assign``).
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        name: str,
        assign: Assign,
        poll: Poll,
        *,
        topics: Sequence[str] = (),
        check_s: float = 5.0,
        retry_s: float = 0.5,
        max_retry_s: float = 15.0,
        probe_s: float = 5.0,
        on_change: Callable[[bool], None] | None = None,
        group: str | None = None,
        commit_s: float = 1.0,
    ) -> None:
        self.kafka, self.name = kafka, name
        self.topics, self.check_s = tuple(topics), check_s
        self.assign, self.poll = assign, poll
        self.retry_s, self.max_retry_s, self.probe_s = retry_s, max_retry_s, probe_s
        self.on_change = on_change
        self.group, self.commit_s = group, commit_s
        self.commit_failing = False
        self.online = False
        self.connected = asyncio.Event()  # set while online, for waiting on the first connection
        self.task: asyncio.Task[None] | None = None
        # Checked by the loops as well as cancelling them: a library call that swallows the
        # cancellation (as Python 3.11's asyncio.wait_for can) must not keep the task running.
        self.stopping = False

    async def start(self) -> None:
        """Check the credentials and topics with the brokers, then start connecting in the background."""
        try:
            await check_kafka_access(
                self.kafka,
                topics=dict.fromkeys(self.topics, "Read"),
                group=self.group,
                timeout_s=self.check_s,
            )
        except KafkaAccessError as exc:
            log.error("%s not starting: %s", self.name, exc)
            raise
        self.task = asyncio.create_task(self._run())

    async def wait_online(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for a connection; whether there is one."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.connected.wait()
        return self.online

    async def stop(self) -> None:
        """Stop reading and release the consumer."""
        self.stopping = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self._set(False)

    async def __aenter__(self) -> ReconnectingConsumer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _set(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            if online:
                self.connected.set()
            else:
                self.connected.clear()
            log.log(
                logging.INFO if online else logging.WARNING,
                "%s %s",
                self.name,
                "online" if online else "offline",
            )
            if self.on_change is not None:
                self.on_change(online)

    async def _run(self) -> None:
        delay = self.retry_s
        while not self.stopping:
            consumer = AIOKafkaConsumer(**aiokafka_connection(self.kafka), enable_auto_commit=False)
            committer = None
            if self.group is not None:
                committer = AIOKafkaConsumer(
                    **aiokafka_connection(self.kafka), group_id=self.group, enable_auto_commit=False
                )
            try:
                await consumer.start()
                tps = await self.assign(consumer)
                if committer is not None:
                    await committer.start()
                    committer.assign(tps)
                self._set(True)
                delay = self.retry_s
                await self._follow(consumer, tps, committer)
            except KafkaError as exc:
                # The text, not the exception: a kept log record must not keep the consumer alive.
                refused = explain_kafka_error(exc, self.kafka, operation="Read", topic=", ".join(self.topics))
                if refused is not None:  # e.g. an ACL removed while running: loud, and retried
                    log.error("%s: %s; retrying in %.1f s", self.name, refused, delay)
                else:
                    log.warning("%s: Kafka unreadable, retrying in %.1f s: %s", self.name, delay, repr(exc))
            except Exception:
                # Anything else is a bug, but ending the loop would leave this part offline for good.
                log.exception("%s failed, retrying in %.1f s", self.name, delay)
            finally:
                self._set(False)
                await consumer.stop()
                if committer is not None:
                    await committer.stop()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry_s)

    async def _follow(
        self, consumer: AIOKafkaConsumer, tps: list[TopicPartition], committer: AIOKafkaConsumer | None
    ) -> None:
        probe_at = time.monotonic() + self.probe_s
        commit_at = time.monotonic()
        while not self.stopping:
            await self.poll(consumer)
            if committer is not None and time.monotonic() >= commit_at:
                await self._commit(committer, {tp: await consumer.position(tp) for tp in tps})
                commit_at = time.monotonic() + self.commit_s
            if time.monotonic() < probe_at:
                continue
            try:
                async with asyncio.timeout(self.probe_s):
                    await consumer.end_offsets(tps)
                self._set(True)
            except (KafkaError, TimeoutError) as exc:
                log.debug("%s: probe failed: %s", self.name, repr(exc))
                self._set(False)
            probe_at = time.monotonic() + self.probe_s

    async def _commit(self, committer: AIOKafkaConsumer, positions: dict[TopicPartition, int]) -> None:
        try:
            # The reading consumer's positions: the next record poll will hand over.
            async with asyncio.timeout(self.probe_s):
                await committer.commit(positions)
            self.commit_failing = False
        except (KafkaError, TimeoutError) as exc:
            # Only the lag measurement misses it (the probe tells whether Kafka is reachable): said
            # once per run of failures, not once a second.
            level = logging.DEBUG if self.commit_failing else logging.WARNING
            log.log(
                level, "%s: committing the position under %s failed: %s", self.name, self.group, repr(exc)
            )
            self.commit_failing = True
