"""A token bucket: the simulator paces its sends with it, ingest limits each client's plays with it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """Tokens accrue at ``rate`` per second up to ``capacity``; a send spends one per event.

    It starts with ``tokens`` (empty: a pacer's long-run rate follows the clock from its start;
    full: a rate limit lets a new client's first burst through).
    """

    def __init__(
        self,
        rate: float,
        capacity: float,
        clock: Callable[[], float] = time.monotonic,
        tokens: float = 0.0,
    ) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be > 0")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = min(tokens, capacity)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_take(self, n: float = 1.0) -> float:
        """Take ``n`` tokens if there are enough and return 0, else return the seconds to wait."""
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return 0.0
        return (n - self._tokens) / self.rate

    def wait_for(self, n: float = 1.0) -> float:
        """Seconds until ``n`` tokens are available (0: now), taking none."""
        self._refill()
        return max(0.0, (n - self._tokens) / self.rate)

    async def take(self, n: float = 1.0) -> None:
        """Wait until ``n`` tokens are available, then spend them."""
        if n > self.capacity:
            raise ValueError(f"cannot take {n} tokens from a bucket of {self.capacity}")
        wait = self.try_take(n)
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.try_take(n)
