"""Which songs each partition holds per region, its event-time watermark, and its top-K candidates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from streams.tally import SongRecord, plays_between, split_key
from streams.windows import window_minutes


class Standings:
    """An index over the tallies table, rebuilt after recovery and kept current by the agent."""

    def __init__(self, top_n: int) -> None:
        self.top_n = top_n
        self.keys: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.watermarks: dict[int, float] = defaultdict(float)
        self.dirty: dict[str, set[int]] = defaultdict(set)

    def rebuild(self, items: Iterable[tuple[str, SongRecord]]) -> None:
        """Index every record (after changelog recovery)."""
        self.keys.clear()
        self.watermarks.clear()
        for key, record in items:
            self.add(key, record)

    def add(self, key: str, record: SongRecord) -> None:
        """Index one record and mark its region dirty."""
        partition, region, _ = split_key(key)
        self.keys[partition][region].add(key)
        self.watermarks[partition] = max(self.watermarks[partition], record.get("w", 0.0))
        self.dirty[region].add(partition)

    def discard(self, key: str) -> None:
        """Forget a deleted record."""
        partition, region, _ = split_key(key)
        self.keys[partition][region].discard(key)
        self.dirty[region].add(partition)

    def mark_all(self, partitions: Iterable[int], regions: Iterable[str]) -> None:
        """Mark every (region, partition) for republishing."""
        for region in regions:
            self.dirty[region].update(partitions)

    def take_dirty(self) -> dict[str, set[int]]:
        """The dirty (region → partitions) set, cleared."""
        dirty, self.dirty = self.dirty, defaultdict(set)
        return dirty

    def partial(
        self, table: Mapping[str, Any], partition: int, region: str, windows: Iterable[str], now: float
    ) -> dict[str, dict[str, Any]]:
        """Per window: this partition's late count and top-K candidates (plays desc, song_id asc)."""
        bounds = {name: window_minutes(name, now) for name in windows}
        rows: dict[str, list[tuple[int, str, str, str]]] = {name: [] for name in bounds}
        late = 0
        for key in self.keys.get(partition, {}).get(region, ()):
            record = table.get(key)
            if record is None:
                continue
            late += record["late"]
            song_id = split_key(key)[2]
            if not song_id:
                continue
            for name, (start, end) in bounds.items():
                plays = plays_between(record, start, end)
                if plays:
                    rows[name].append((-plays, song_id, record["t"], record["a"]))
        return {
            name: {
                "late_dropped": late,
                "entries": [
                    {"song_id": s, "title": t, "artist": a, "plays": -p}
                    for p, s, t, a in sorted(found)[: self.top_n]
                ],
            }
            for name, found in rows.items()
        }
