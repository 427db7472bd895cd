"""One plays partition's closed UTC hours: what the live side counted in each, for reconciliation.

Hour H closes once the wall clock passes H + 1 h + the allowed lateness. From then on every play of H
is dropped as late, whatever the watermark, so H's counted plays never change again and every play
of H the worker sees is either in H's final count or in its late drops (docs/reconciliation.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from streams.ledger import Record, hour_key

SongKey = tuple[str, str]
Write = tuple[str, Record | None]
# Per region: [plays counted, [[song_id, plays], ...] the top N, plays desc then song_id].
Final = dict[str, list]


def late_hour_key(region: str, hour: int) -> str:
    """``REGION|hour`` of a late count in a ledger record (hour in epoch hours)."""
    return f"{region}|{hour}"


def split_late_hour_key(key: str) -> tuple[str, int]:
    """Inverse of :func:`late_hour_key`."""
    region, hour = key.rsplit("|", 1)
    return region, int(hour)


class ClosedHours:
    """Final counts of closed hours, late drops per (region, hour) and which records to (re)publish."""

    def __init__(self, partition: int, top_n: int, keep_hours: int) -> None:
        self.partition, self.top_n, self.keep_hours = partition, top_n, keep_hours
        self.through = 0  # epoch hour: hours before it are closed (0: none closed yet)
        self.finals: dict[int, Final] = {}
        self.late: dict[tuple[str, int], int] = {}
        self.folded: dict[str, int] = {}  # late counts of deleted deltas, "REGION|hour" → plays
        self.unpublished: dict[int, set[str] | None] = {}  # None: every region of that hour

    def close(self, closed: int, minutes: Mapping[SongKey, Mapping[int, int]]) -> list[Write]:
        """Close every hour before ``closed``; one ledger record per newly closed hour."""
        if closed <= self.through:
            return []
        start = self.through
        if not start:
            # A partition's first close also covers the hour just closed: whatever of it arrives from
            # now on is a late drop, so "counted 0 of it so far" is its true final count.
            data = {m // 60 for buckets in minutes.values() for m in buckets}
            start = min((*data, *(h for _, h in self.late), closed - 1))
        start = max(start, closed - self.keep_hours)
        songs: dict[int, dict[str, dict[str, int]]] = {h: {} for h in range(start, closed)}
        low, high = start * 60, closed * 60
        for (region, song), buckets in minutes.items():
            for minute, n in buckets.items():
                if low <= minute < high:
                    counts = songs[minute // 60].setdefault(region, {})
                    counts[song] = counts.get(song, 0) + n
        writes: list[Write] = []
        for hour, regions in songs.items():
            final = {region: self._final(counts) for region, counts in sorted(regions.items())}
            self.finals[hour] = final
            self.unpublished[hour] = None
            writes.append((hour_key(self.partition, hour), {"r": final, "through": hour + 1}))
        self.through = closed
        return writes

    def _final(self, counts: dict[str, int]) -> list:
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.top_n]
        return [sum(counts.values()), [list(entry) for entry in ranked]]

    def add_late(self, late: Iterable[tuple[tuple[str, int], int]]) -> None:
        """Count plays dropped as late per (region, hour of ``played_at``); a closed hour is republished."""
        for (region, hour), n in late:
            self.late[region, hour] = self.late.get((region, hour), 0) + n
            if not self.through - self.keep_hours <= hour < self.through:
                continue  # still open (its record comes when it closes) or no longer kept
            if hour not in self.finals:
                self.finals[hour] = {}  # closed before this partition counted any of it
                self.unpublished[hour] = None
            elif (regions := self.unpublished.setdefault(hour, set())) is not None:
                regions.add(region)

    def fold(self, late: Mapping[str, int]) -> None:
        """Keep the late counts of a delta about to be deleted (they go into the ``p|late`` record)."""
        for key, n in late.items():
            self.folded[key] = self.folded.get(key, 0) + n

    def prune(self, now_closed: int) -> list[Write]:
        """Forget hours no play can reach any more (older than ``keep_hours``); their deletions."""
        floor = now_closed - self.keep_hours
        old = [h for h in self.finals if h < floor]
        for hour in old:
            del self.finals[hour]
            self.unpublished.pop(hour, None)
        for region_hour in [k for k in self.late if k[1] < floor]:
            del self.late[region_hour]
        for text in [k for k in self.folded if split_late_hour_key(k)[1] < floor]:
            del self.folded[text]
        return [(hour_key(self.partition, hour), None) for hour in sorted(old)]

    def restore_final(self, hour: int, record: Record) -> None:
        """Take one ``p|h|hour`` record."""
        self.finals[hour] = record["r"]
        self.through = max(self.through, record["through"])

    def restore_late(self, late: Mapping[str, int], folded: bool) -> None:
        """Take the late counts of a delta or (``folded``) of the ``p|late`` record."""
        if folded:
            self.folded = dict(late)
        for key, n in late.items():
            region, hour = split_late_hour_key(key)
            self.late[region, hour] = self.late.get((region, hour), 0) + n

    def republish_all(self) -> None:
        """After recovery: every kept hour goes out again (at least once; same keys)."""
        for _, late_hour in self.late:
            if self.through - self.keep_hours <= late_hour < self.through:
                self.finals.setdefault(late_hour, {})
        self.unpublished = dict.fromkeys(self.finals)

    def take_unpublished(self) -> list[tuple[int, set[str] | None]]:
        """Hours (and regions, None for all) whose record changed since the last call, cleared."""
        taken, self.unpublished = sorted(self.unpublished.items()), {}
        return taken

    def record(self, region: str, hour: int) -> tuple[int, int, list]:
        """``(plays, late_dropped, top)`` of one region in one closed hour."""
        plays, top = self.finals.get(hour, {}).get(region, (0, []))
        return plays, self.late.get((region, hour), 0), top
