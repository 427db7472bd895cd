"""Per-client rate limit on plays: a token bucket per API key name (or per address without keys)."""

from __future__ import annotations

import math
from collections import OrderedDict

from topsongs_core.token_bucket import TokenBucket

# Buckets kept at most; the least recently seen client is forgotten first (it starts full again),
# so a flood from many addresses cannot grow the process without bound.
MAX_CLIENTS = 10_000


class ClientLimits:
    """At most ``rate`` events per second per client, in bursts of up to ``burst`` events."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def exhausted(self, client: str, events: int) -> int:
        """0 while ``client`` could send one event now (nothing is counted), else whole seconds
        until ``events`` (the most its request may hold) would fit."""
        bucket = self._buckets.get(client)
        if bucket is None or bucket.wait_for(1) == 0:
            return 0
        return max(1, math.ceil(bucket.wait_for(events)))

    def retry_after(self, client: str, events: int) -> int:
        """0 when ``client`` may send ``events`` now (they are counted), else whole seconds to wait."""
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = TokenBucket(self.rate, self.burst, tokens=self.burst)
            if len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        wait = bucket.try_take(events)
        return 0 if wait == 0 else max(1, math.ceil(wait))
