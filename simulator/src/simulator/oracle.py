"""The oracle: expected top-10 per region and window from the plays that ingest accepted."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from simulator.catalog import Catalog
from simulator.listening import Play, iso_z

BUCKET_S = 60
# Event-time windows as streams defines them (docs/live-charts.md): minute buckets; 5m and 60m are
# the last 5 / 60 minute buckets ending with a given minute; hour is the UTC clock hour.
WINDOWS: dict[str, dict[str, Any]] = {
    "5m": {"kind": "rolling", "size_s": 300, "step_s": 60},
    "60m": {"kind": "rolling", "size_s": 3600, "step_s": 60},
    "hour": {"kind": "tumbling", "size_s": 3600, "step_s": 3600},
}


def top_ten(counts: Mapping[str, int], n: int = 10) -> list[tuple[str, int]]:
    """The chart order of the contract: plays descending, then song_id ascending."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def window_starts(first_s: int, last_s: int, size_s: int, step_s: int) -> range:
    """Starts of windows ending at each ``step_s`` boundary after ``first_s`` up to ``last_s``."""
    first_end = first_s // step_s * step_s + step_s
    last_end = last_s // step_s * step_s + step_s
    return range(first_end - size_s, last_end - size_s + 1, step_s)


class Oracle:
    """Counts each accepted play once, by region and one-minute event-time bucket."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._seen: set[str] = set()
        self._buckets: dict[str, dict[int, Counter[str]]] = defaultdict(dict)
        self.late: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, play: Play, *, late: bool = False) -> bool:
        """Count an accepted play; a second acceptance of one event_id is ignored."""
        if play.event_id in self._seen:
            return False
        self._seen.add(play.event_id)
        at = int(play.played_at.timestamp())
        bucket = at // BUCKET_S * BUCKET_S
        per_region = self._buckets[play.region]
        per_region.setdefault(bucket, Counter())[self.catalog.songs[play.song].song_id] += 1
        if late:
            self.late[play.region][bucket] += 1
        return True

    def counts(self, region: str, start_s: int, end_s: int) -> Counter[str]:
        """Plays per song_id in ``region`` with event time in [start_s, end_s)."""
        total: Counter[str] = Counter()
        buckets = self._buckets.get(region, {})
        for bucket in range(start_s // BUCKET_S * BUCKET_S, end_s, BUCKET_S):
            if bucket >= start_s and bucket in buckets:
                total.update(buckets[bucket])
        return total

    def expected(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Every window of every kind with data, each with its top-10 entries."""
        songs = {s.song_id: s for s in self.catalog.songs}
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for region, buckets in sorted(self._buckets.items()):
            first, last = min(buckets), max(buckets)
            out[region] = {}
            for name, spec in WINDOWS.items():
                size, step = spec["size_s"], spec["step_s"]
                charts = []
                for start in window_starts(first, last, size, step):
                    counts = self.counts(region, start, start + size)
                    late = sum(n for b, n in self.late[region].items() if start <= b < start + size)
                    charts.append(
                        {
                            "window_start": iso_z(datetime.fromtimestamp(start, UTC)),
                            "window_end": iso_z(datetime.fromtimestamp(start + size, UTC)),
                            "plays": sum(counts.values()),
                            "late_plays": late,
                            "entries": [
                                {
                                    "rank": rank,
                                    "song_id": sid,
                                    "title": songs[sid].title,
                                    "artist": songs[sid].artist,
                                    "plays": plays,
                                }
                                for rank, (sid, plays) in enumerate(top_ten(counts), start=1)
                            ],
                        }
                    )
                out[region][name] = charts
        return out
