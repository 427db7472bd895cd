"""A Kafka transport whose consumer starts a task for a message only when its delivery has to wait
(and whose producer's buffer answers its size without a settings lookup, below).

Faust's consumer loop delivers every message as ``wait_first(callback(message), suspend_flow.wait())``:
four tasks and an ``asyncio.wait`` per message, so that a rebalance can abandon a delivery that is
stuck (flow control, a full stream buffer, producer back-pressure). That machinery costs about
40 µs of CPU per message, more than the chart work itself, and almost every delivery finishes
without waiting at all. Here the delivery coroutine is first run inline; only if it suspends is the
rest of it handed to the same ``wait_first`` race as upstream. Offsets, gaps, commit-every and the
fetch loop are unchanged in meaning.

One race is closed on the way: while a rebalance is in progress Faust resumes the stream partitions
and seeks them to the committed offsets *before* it resumes flow control, and resuming flow control
clears every stream buffer. Records fetched in between were marked read, then cleared: lost until
the next rebalance (or for good: aiokafka does not seek a partition that has no committed offset).
Inline delivery is fast enough to hit that window (the kill/restart test did), so stream records are
held back while the app is rebalancing, and once it is done each partition that had some is sought
back to the first one held (or its committed offset, if lower). Changelog records are always
delivered: recovery reads them.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any, ClassVar, cast

from faust.transport.drivers import aiokafka
from faust.transport.producer import ProducerBuffer
from faust.types import TP, ConsumerT, Message, ProducerT
from mode import Service, ServiceT

# sha256 of ``inspect.getsource`` of the faust-streaming code this module replaces
# (``_drain_messages``, and ``_new_transport`` in ``streams.app``) or whose order it relies on
# (``_resume_streams``: partitions are resumed and sought before flow control clears the buffers),
# as of the version pinned in streams/pyproject.toml. tests/streams/test_transport.py fails when
# the installed code differs: re-read it against the override before recording a new hash.
UPSTREAM = {
    "faust.transport.consumer:Consumer._drain_messages": (
        "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"
    ),
    "faust.tables.recovery:Recovery._resume_streams": (
        "d986a6710c1aca98f08c4c723fb3eadc5bf24576ad4eb9da3dd3eecedda2f24e"
    ),
    "faust.app.base:App._new_transport": "42db531312dd776fc3937154a32f19eeb9ad7d4ebc2722a92d081a2d271baea1",
    # the producer's buffer (``Producer.__init__`` makes it, ``size`` is read for every message)
    "faust.transport.producer:Producer.__init__": (
        "5c53a4b47aa1372b61ca07edc6e413347436429210427634c9c2c22738e034d8"
    ),
    "faust.transport.producer:ProducerBuffer.size": (
        "b543a978fdece62e7d7c434eea6e842995d67cc1d3288434f5f26ad72c10a779"
    ),
    # streams.monitor.LeanMonitor keeps only what these two keep that Faust reads back
    "faust.sensors.monitor:Monitor.on_stream_event_in": (
        "df6d2e5f6397ce441d1fdeb83cb7cb5893a33e507e5e0c8caad38e6a916d838d"
    ),
    "faust.sensors.monitor:Monitor.on_stream_event_out": (
        "2d2277a6dbda754cd655207496c08adb6b9141e59556cd9373593c1ef28a18bd"
    ),
}


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], pending: Any) -> Generator[Any, Any, Any]:
    """Continue ``coro``, suspended on ``pending``, exactly as if it had been awaited from the start."""
    while True:
        try:
            sent = yield pending
        except BaseException as exc:  # cancellation and errors go into the coroutine, as await does
            try:
                pending = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                pending = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _finish(coro: Coroutine[Any, Any, Any], pending: Any) -> Any:
    return await _resume(coro, pending)


class Consumer(aiokafka.Consumer):
    """The aiokafka consumer with inline delivery."""

    async def _deliver(self, message: Message) -> None:
        """Run the conductor's callback; race it against a flow stop only if it has to wait."""
        # The conductor's handler is an ``async def``, typed only as returning an awaitable.
        coro = cast(Coroutine[Any, Any, None], self.callback(message))
        try:
            pending = coro.send(None)
        except StopIteration:
            return
        await self.wait_first(_finish(coro, pending), self.suspend_flow.wait())

    async def _rewind(self, held_back: dict[TP, int]) -> None:
        """Seek every still-assigned partition back to the first record held back during a rebalance."""
        assigned = self.assignment()
        targets = {}
        for tp, first in held_back.items():
            if tp in assigned:
                committed = self._committed_offset.get(tp)
                targets[tp] = first if committed is None else min(first, committed)
        if targets:
            self.log.info("Re-reading %d partition(s) held back during the rebalance", len(targets))
            await self.seek_wait(targets)

    async def _drain_messages(self, fetcher: ServiceT) -> None:  # pragma: no cover - runs in the worker
        consumer_stopped = cast(Service, self)._stopped.is_set
        fetcher_stopped = cast(Service, fetcher)._stopped.is_set
        read_offsets = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        commit_every = self._commit_every
        app = self.app
        since_yield = 0
        held_back: dict[TP, int] = {}
        try:
            while not (consumer_stopped() or fetcher_stopped()):
                if held_back and not app.rebalancing:
                    await self._rewind(held_back)
                    held_back = {}
                self.diag.set_flag("FETCHING")
                records = self.getmany(timeout=1.0)
                await self.sleep(0)  # a fetch that returns at once must not monopolise the loop
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield > 100:
                        since_yield = 0
                        await asyncio.sleep(0)
                    offset = message.offset
                    if app.rebalancing and tp.topic not in app.tables.changelog_topics:
                        # It would land in a stream buffer that flow control clears when it resumes.
                        held_back[tp] = min(offset, held_back.get(tp, offset))
                        continue
                    last = read_offsets[tp]
                    if last is not None and offset < last:
                        continue  # delivered before a seek moved us back
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await self._deliver(message)
                    read_offsets[tp] = offset
                self.diag.unset_flag("FETCHING")
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag("FETCHING")


class PendingBuffer(ProducerBuffer):
    """Faust's producer buffer without a settings lookup per message.

    The conductor asks the buffer's ``size`` before every message it delivers, and Faust's reads
    ``app.conf.producer_threaded`` each time (~3 % of the worker's CPU per play). The worker never
    runs the threaded producer, so the size is the pending queue's.
    """

    @property
    def size(self) -> int:
        """Messages waiting to be produced."""
        return self.pending.qsize()


class Producer(aiokafka.Producer):
    """Faust's aiokafka producer with :class:`PendingBuffer`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.app.conf.producer_threaded:
            raise ValueError("streams.transport.Producer does not run Faust's threaded producer")
        buffer = PendingBuffer(loop=self.loop, beacon=self.beacon)
        buffer.app = self.app
        self.buffer = buffer


class Transport(aiokafka.Transport):
    """Faust's aiokafka transport with the inline-delivering consumer and the lighter producer buffer."""

    Consumer: ClassVar[type[ConsumerT]] = Consumer
    Producer: ClassVar[type[ProducerT]] = Producer
