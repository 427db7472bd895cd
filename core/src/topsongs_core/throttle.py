"""Leading-edge rate limit per key: fire at once if the key's last firing is an interval ago, else later."""

from __future__ import annotations

from collections.abc import Hashable


class LeadingEdgeThrottle:
    """At most one firing per ``interval`` seconds per key; a change waits at most one interval.

    Unlike a fixed tick, a change after a quiet interval goes out immediately (leading edge); one
    during the interval waits for its end (trailing edge), where the caller fires once for all of them.
    Used by the streams worker per region and by dashboard-api per (region, window).
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.last: dict[Hashable, float] = {}

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until ``key`` may fire again; 0 if it may fire now."""
        last = self.last.get(key)
        return 0.0 if last is None else max(0.0, last + self.interval - now)

    def fired(self, key: Hashable, now: float, *, held: bool = False) -> None:
        """Record that ``key`` fired at ``now``; ``held``: it fired a change held back until its due time.

        A held-back firing counts as fired on the grid (due, due + interval, ...) when it is late by less
        than an interval, so a late wake-up does not push every later firing back and lower the rate.
        """
        last = self.last.get(key)
        if held and last is not None and 0 <= now - (last + self.interval) < self.interval:
            now = last + self.interval
        self.last[key] = now
