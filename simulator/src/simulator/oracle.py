"""The oracle: expected top-10 per region and window from the plays that ingest accepted."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from topsongs_core.timefmt import iso_z
from topsongs_core.windows import DEFAULT_ROLLING_MINUTES, ChartWindow, chart_windows

from simulator.catalog import Catalog
from simulator.listening import Play

BUCKET_S = 60
# Event-time windows as streams counts them (topsongs_core.windows, docs/live-charts.md): minute
# buckets; 5m and 60m are the last 5 / 60 minute buckets ending with a given minute; hour is the UTC hour.
DEFAULT_WINDOWS = chart_windows(DEFAULT_ROLLING_MINUTES)
WINDOWS: dict[str, dict[str, Any]] = {w.name: w.spec() for w in DEFAULT_WINDOWS}


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

    def __init__(self, catalog: Catalog, windows: tuple[ChartWindow, ...] = DEFAULT_WINDOWS) -> None:
        self.catalog = catalog
        self.windows = windows
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
            for window in self.windows:
                size, step = window.size_s, window.step_s
                charts = []
                for start in window_starts(first, last, size, step):
                    counts = self.counts(region, start, start + size)
                    late = sum(n for b, n in self.late[region].items() if start <= b < start + size)
                    charts.append(
                        {
                            "window_start": iso_z(start),
                            "window_end": iso_z(start + size),
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
                out[region][window.name] = charts
        return out
