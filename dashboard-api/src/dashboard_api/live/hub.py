"""Fan-out of encoded chart messages to WebSocket clients through bounded per-client queues."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

import orjson


def encode(message: dict[str, Any]) -> str:
    """Encode once per message, not once per client."""
    return orjson.dumps(message).decode()


class Subscription:
    """One client's queue; ``dropped`` is set when the client fell too far behind."""

    def __init__(self, key: Hashable, size: int) -> None:
        self.key = key
        self.queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.dropped = asyncio.Event()


class FanoutHub:
    """Publishing never awaits a client: a full queue drops that client instead of stalling others."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self.subscribers: dict[Hashable, set[Subscription]] = defaultdict(set)

    def subscribe(self, key: Hashable) -> Subscription:
        """Register a client for one stream."""
        sub = Subscription(key, self.queue_size)
        self.subscribers[key].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a client."""
        self.subscribers[sub.key].discard(sub)

    def publish(self, key: Hashable, message: str) -> None:
        """Queue ``message`` for every subscriber of ``key``."""
        for sub in list(self.subscribers.get(key, ())):
            try:
                sub.queue.put_nowait(message)
            except asyncio.QueueFull:
                self.unsubscribe(sub)
                sub.dropped.set()
