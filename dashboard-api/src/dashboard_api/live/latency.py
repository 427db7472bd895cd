"""POST → WebSocket latency measured in production: `dashboard_live_push_latency_seconds`.

Every chart record carries, per plays partition, the Kafka timestamp of the newest play counted into
it since the partition's previous record (ingest's send of the accepted play) and how many plays that
was (topsongs_core.live.PartitionCandidates). When the board pushes an update frame of the measured
window, this observes now − the newest such timestamp among the records merged into it, once per
update, and adds the plays they carried to `dashboard_live_pushed_plays_total`.

Every dashboard-api worker reads the whole live topic and pushes the same updates to its own
clients, so with several workers (prometheus_client's multiprocess folder) only the one holding an
exclusive lock on a file in that folder observes; when it exits, the lock passes to the next worker
that pushes an update. A single process always observes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram

# From a fast path (tens of ms) to a stalled one (a minute); the throttles alone add up to ~0.5 s.
BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LOCK_FILE = "live-push-latency.lock"


class PushLatency:
    """The latency histogram and the plays counter, observed by one worker of those sharing ``folder``."""

    def __init__(self, folder: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.seconds = Histogram(
            "dashboard_live_push_latency_seconds",
            "Seconds from Kafka's timestamp of the newest play in a pushed live update to its push",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.plays = Counter(
            "dashboard_live_pushed_plays",
            "Plays counted by the live worker that reached pushed live updates (each once)",
            registry=self.registry,
        )
        self.lock_path = folder / LOCK_FILE if folder is not None else None
        self.fd: int | None = None
        self.holds = folder is None

    def elected(self) -> bool:
        """Whether this process observes: always alone, else while it holds the folder's lock."""
        if self.holds or self.lock_path is None:
            return self.holds
        if self.fd is None:
            self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.holds = True  # kept until the process exits: the kernel then releases it
        return True

    def observe(self, seconds: float, plays: int) -> None:
        """One pushed update: its newest play's age and the plays it carried (only if elected)."""
        if self.elected():
            self.seconds.observe(max(seconds, 0.0))
            self.plays.inc(plays)

    def close(self) -> None:
        """Release the lock (another worker takes over at its next update)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
            self.holds = self.lock_path is None
