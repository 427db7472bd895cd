"""Fan-out of encoded chart messages to WebSocket clients through bounded per-client backlogs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter, defaultdict, deque
from collections.abc import Hashable

from pydantic import BaseModel
from topsongs_core import live
from topsongs_core.live import LiveHeartbeat

TOO_SLOW = 1013


class TooManyClients(Exception):
    """A connection over the hub's caps (its message names the cap)."""


def encode(message: BaseModel) -> str:
    """Encode a frame (topsongs_core.live) once per message, not once per client."""
    return live.encode(message).decode()


class Subscription:
    """One client's bounded backlog; ``close_code`` is set once the hub or the reader ends it."""

    __slots__ = ("close_code", "host", "key", "pending", "size", "waiter")

    def __init__(self, key: Hashable, size: int, host: str = "") -> None:
        self.key = key
        self.host = host
        self.size = size
        self.pending: deque[str] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.close_code: int | None = None

    def offer(self, message: str) -> bool:
        """Queue ``message`` without waiting; False when the backlog is full."""
        if len(self.pending) >= self.size:
            return False
        self.pending.append(message)
        self._wake()
        return True

    def close(self, code: int) -> None:
        """End the subscription: pending messages are discarded and ``next()`` returns None."""
        if self.close_code is None:
            self.close_code = code
        self.pending.clear()
        self._wake()

    async def next(self) -> str | None:
        """The next queued message, or None once closed."""
        while not self.pending:
            if self.close_code is not None:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.pending.popleft()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


class _Beat:
    """When a stream's next heartbeat is due and the seq it repeats."""

    __slots__ = ("due", "seq")

    def __init__(self, due: float) -> None:
        self.due = due
        self.seq = 0  # every stream starts at seq 0 and only publish() advances it


class FanoutHub:
    """Publishing never awaits a client: a full backlog closes that client instead of stalling others.

    A stream that published nothing for ``heartbeat_s`` gets one heartbeat, encoded once for all its
    clients, on a timer with fixed deadlines.
    """

    def __init__(
        self, queue_size: int, heartbeat_s: float = 15.0, max_clients: int = 20000, max_per_host: int = 1000
    ) -> None:
        self.queue_size = queue_size
        self.heartbeat_s = heartbeat_s
        self.max_clients = max_clients
        self.max_per_host = max_per_host
        self.subscribers: dict[Hashable, set[Subscription]] = defaultdict(set)
        # Every subscription until unsubscribe(), including those the hub already closed.
        self.admitted: set[Subscription] = set()
        self.per_host: Counter[str] = Counter()
        self.beats: dict[Hashable, _Beat] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the heartbeat timer."""
        self.task = asyncio.create_task(self._heartbeats())

    async def stop(self) -> None:
        """Stop the heartbeat timer and close every client's subscription."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for subs in self.subscribers.values():
            for sub in subs:
                sub.close(1001)

    async def __aenter__(self) -> FanoutHub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def subscribe(self, key: Hashable, host: str = "") -> Subscription:
        """Register a client for one stream; TooManyClients when a cap would be passed."""
        if len(self.admitted) >= self.max_clients:
            raise TooManyClients(f"server at its limit of {self.max_clients} live clients")
        if self.per_host[host] >= self.max_per_host:
            raise TooManyClients(f"limit of {self.max_per_host} live clients per address reached")
        sub = Subscription(key, self.queue_size, host)
        self.admitted.add(sub)
        self.per_host[host] += 1
        self.subscribers[key].add(sub)
        self._beat(key)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a client."""
        self.subscribers[sub.key].discard(sub)
        if sub in self.admitted:
            self.admitted.discard(sub)
            self.per_host[sub.host] -= 1
            if not self.per_host[sub.host]:
                del self.per_host[sub.host]

    def publish(self, key: Hashable, seq: int, message: str) -> None:
        """Queue ``message`` (the stream's ``seq``) for every subscriber of ``key``."""
        beat = self._beat(key)
        beat.seq = seq
        beat.due = time.monotonic() + self.heartbeat_s
        self._broadcast(key, message)

    def _beat(self, key: Hashable) -> _Beat:
        beat = self.beats.get(key)
        if beat is None:
            beat = self.beats[key] = _Beat(time.monotonic() + self.heartbeat_s)
        return beat

    def _broadcast(self, key: Hashable, message: str) -> None:
        subs = self.subscribers.get(key)
        if not subs:
            return
        slow = [sub for sub in subs if not sub.offer(message)]
        for sub in slow:
            subs.discard(sub)
            sub.close(TOO_SLOW)

    async def _heartbeats(self) -> None:
        while True:
            now = time.monotonic()
            earliest = now + self.heartbeat_s
            for key, beat in self.beats.items():
                if beat.due <= now:
                    self._broadcast(key, encode(LiveHeartbeat(seq=beat.seq)))
                    while beat.due <= now:  # fixed deadlines: a late tick does not shift the next
                        beat.due += self.heartbeat_s
                earliest = min(earliest, beat.due)
            await asyncio.sleep(earliest - now)
