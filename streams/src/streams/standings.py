"""Per (partition, region, window): running totals and the exact top-K, kept incrementally.

Between minute boundaries the window bounds are fixed and totals only grow, so a song can only
enter the top K by passing its last entry: each counted (region, song, minute) costs O(K), and
publishing reads the ready list. At a minute boundary the totals are rebuilt from the buckets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from topsongs_core.live import Candidate, PartitionCandidates
from topsongs_core.timefmt import iso_z
from topsongs_core.windows import ChartWindow

from streams.partition_tally import PartitionTally

StandingKey = tuple[int, str, str]


class Standings:
    """Totals and top-K lists of every owned partition, plus which (region, partition) changed."""

    def __init__(self, top_n: int, windows: tuple[ChartWindow, ...]) -> None:
        self.top_n, self.windows = top_n, windows
        self.names = tuple(window.name for window in windows)
        self.bounds: tuple[tuple[int, int], ...] = ()
        self.totals: dict[StandingKey, dict[str, int]] = defaultdict(dict)
        self.tops: dict[StandingKey, list[tuple[int, str]]] = defaultdict(list)
        self.sums: dict[StandingKey, int] = defaultdict(int)  # all songs' plays, kept as totals grow
        self.dirty: dict[str, set[int]] = defaultdict(set)

    def current_bounds(self, now: float) -> tuple[tuple[int, int], ...]:
        """``[start, end)`` minutes of every window at ``now``."""
        return tuple(window.minutes_at(now) for window in self.windows)

    def refresh(self, tallies: Mapping[int, PartitionTally], now: float) -> bool:
        """Rebuild everything when the window bounds moved; True if they did."""
        bounds = self.current_bounds(now)
        if bounds == self.bounds:
            return False
        self.rebuild(tallies, bounds)
        return True

    def rebuild(self, tallies: Mapping[int, PartitionTally], bounds: tuple[tuple[int, int], ...]) -> None:
        """Recompute totals and tops of every partition from its minute buckets."""
        self.bounds = bounds
        self.totals.clear()
        self.tops.clear()
        self.sums.clear()
        for partition, tally in tallies.items():
            for (region, song), buckets in tally.minutes.items():
                for name, (start, end) in zip(self.names, bounds, strict=True):
                    plays = sum(n for m, n in buckets.items() if start <= m < end)
                    if plays:
                        self.totals[partition, region, name][song] = plays
            for region in {r for r, _ in tally.minutes} | set(tally.late):
                self.dirty[region].add(partition)
        for key, totals in self.totals.items():
            self.sums[key] = sum(totals.values())
            ranked = sorted((-plays, song) for song, plays in totals.items())
            self.tops[key] = ranked[: self.top_n]

    def add(self, partition: int, counts: Iterable[tuple[tuple[str, str, int], int]]) -> None:
        """Apply counted ``((region, song, minute), plays)`` increments of one partition."""
        for (region, song, minute), n in counts:
            self.dirty[region].add(partition)
            for name, (start, end) in zip(self.names, self.bounds, strict=True):
                if start <= minute < end:
                    key = (partition, region, name)
                    totals = self.totals[key]
                    plays = totals[song] = totals.get(song, 0) + n
                    self.sums[key] += n
                    self._raise(self.tops[key], song, plays)

    def _raise(self, top: list[tuple[int, str]], song: str, plays: int) -> None:
        entry = (-plays, song)
        for i, (_, other) in enumerate(top):
            if other == song:
                top[i] = entry
                top.sort()
                return
        if len(top) < self.top_n:
            top.append(entry)
            top.sort()
        elif entry < top[-1]:
            top[-1] = entry
            top.sort()

    def mark_region(self, region: str, partition: int) -> None:
        """Republish ``region`` of ``partition`` (e.g. its late count changed)."""
        self.dirty[region].add(partition)

    def mark_all(self, partitions: Iterable[int], regions: Iterable[str]) -> None:
        """Mark every (region, partition) for republishing."""
        for region in regions:
            self.dirty[region].update(partitions)

    def take_dirty(self, regions: Iterable[str]) -> dict[str, set[int]]:
        """The dirty partitions of each of ``regions`` (region → partitions), cleared."""
        return {region: self.dirty.pop(region) for region in regions if region in self.dirty}

    def partial(
        self, tally: PartitionTally | None, partition: int, region: str
    ) -> dict[str, PartitionCandidates]:
        """Per window: this partition's late count, plays, newest counted play and top-K candidates
        (plays desc, song_id asc); with what it counted in the region since its previous partial
        (taken: the next call starts again), the same in every window."""
        late = tally.late.get(region, 0) if tally else 0
        newest = tally.newest.get(region) if tally else None
        newest_at = iso_z(newest, "seconds") if newest is not None else None
        accepted, accepted_plays = tally.take_accepted(region) if tally else (0.0, 0)
        accepted_at = iso_z(accepted) if accepted_plays and accepted > 0 else None
        out = {}
        for name in self.names:
            entries = []
            for plays, song in self.tops.get((partition, region, name), ()):
                title, artist = tally.titles.get((region, song), ("", "")) if tally else ("", "")
                entries.append(Candidate(song_id=song, title=title, artist=artist, plays=-plays))
            out[name] = PartitionCandidates(
                late_dropped=late,
                entries=entries,
                plays=self.sums.get((partition, region, name), 0),
                newest_play_at=newest_at,
                newest_accepted_at=accepted_at,
                accepted_plays=accepted_plays,
            )
        return out
