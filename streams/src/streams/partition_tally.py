"""One plays partition's live state: minute counts, late counts, watermark and dedup fingerprints.

A batch of plays becomes one delta record holding its counts, its late counts *and* its event
fingerprints, so counting a play and remembering its id is one changelog write. Closed minutes are
sealed into one record each; a delta is deleted once its minutes are sealed (or past retention) and
its fingerprints are past the dedup horizon, its late counts folded into the partition's late record.
A closed UTC hour gets one record with its final counts (``streams.closed_hours``).
"""

from __future__ import annotations

from array import array
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from streams.closed_hours import ClosedHours, late_hour_key
from streams.ledger import Record, delta_key, late_key, pack_ids, sealed_key, split_key, unpack_ids

SongKey = tuple[str, str]
Write = tuple[str, Record | None]


@dataclass
class Delta:
    """What one persisted delta still pins: its fingerprints (until the horizon) and minutes."""

    offset: int
    at: float
    ids: array | None
    minutes: set[int]
    late: dict[str, int]
    late_hours: dict[str, int]


@dataclass
class BatchTally:
    """One partition's share of a batch, aggregated before anything is written."""

    first_offset: int = -1
    last_offset: int = -1
    ids: array = field(default_factory=lambda: array("Q"))
    counts: dict[tuple[str, str, int], int] = field(default_factory=lambda: defaultdict(int))
    titles: dict[SongKey, tuple[str, str]] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    late_hours: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    duplicates: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    newest: dict[str, float] = field(default_factory=dict)
    # Per region: Kafka timestamp (epoch seconds) of the newest counted play, and how many were counted.
    accepted: dict[str, float] = field(default_factory=dict)
    accepted_plays: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class PartitionTally:
    """State of one partition, rebuilt from the ledger after recovery and kept by the agent."""

    def __init__(
        self,
        partition: int,
        lateness_s: float,
        horizon_s: float,
        retention_minutes: int,
        top_n: int = 10,
        keep_hours: int = 169,
    ):
        self.partition = partition
        self.lateness_s, self.horizon_s, self.retention = lateness_s, horizon_s, retention_minutes
        self.watermark = 0.0
        self.minutes: dict[SongKey, dict[int, int]] = {}
        self.titles: dict[SongKey, tuple[str, str]] = {}
        self.late: dict[str, int] = defaultdict(int)
        # Event time of the newest counted play per region; not in the ledger, so unknown after a
        # restart until the next play (the live board then says it has none yet).
        self.newest: dict[str, float] = {}
        # Per region, since its previous chart record: the newest counted play's Kafka timestamp and
        # how many plays were counted (taken by the publisher: ``take_accepted``). Not in the ledger.
        self.accepted: dict[str, tuple[float, int]] = {}
        self.seen: set[int] = set()
        self.deltas: deque[Delta] = deque()
        self.sealed: set[int] = set()
        self.folded_through = -1
        self.folded_late: dict[str, int] = {}
        self.pending: list[Write] = []
        self.hours = ClosedHours(partition, top_n, keep_hours)
        self.closed_before = 0.0  # epoch seconds: plays before it belong to a closed hour

    def observe(
        self,
        batch: BatchTally,
        offset: int,
        fingerprint: int,
        region: str,
        song: str,
        meta: tuple[str, str],
        played: float,
        accepted: float = 0.0,
    ) -> None:
        """Classify one play into ``batch``: duplicate, late or counted (the watermark moves as it goes);
        ``accepted`` is its Kafka timestamp (epoch seconds)."""
        if fingerprint in self.seen:
            batch.duplicates[region] += 1
            return
        self.seen.add(fingerprint)
        if batch.first_offset < 0:
            batch.first_offset = offset
        batch.last_offset = offset
        batch.ids.append(fingerprint)
        if played < self.watermark - self.lateness_s or played < self.closed_before:
            batch.late[region] += 1
            batch.late_hours[region, int(played // 3600)] += 1
            return
        batch.counts[region, song, int(played // 60)] += 1
        batch.titles[region, song] = meta
        if played > batch.newest.get(region, 0.0):
            batch.newest[region] = played
        batch.accepted_plays[region] += 1
        if accepted > batch.accepted.get(region, 0.0):
            batch.accepted[region] = accepted
        if played > self.watermark:
            self.watermark = played

    def commit(self, batch: BatchTally, now: float) -> tuple[str, Record] | None:
        """Fold ``batch`` into the state; the one delta record to write (None when all were duplicates)."""
        if batch.first_offset < 0:
            return None
        songs: dict[str, list] = {}
        for (region, song, minute), n in batch.counts.items():
            key = (region, song)
            buckets = self.minutes.setdefault(key, {})
            buckets[minute] = buckets.get(minute, 0) + n
            entry = songs.get(f"{region}|{song}")
            if entry is None:
                title, artist = batch.titles[key]
                entry = songs[f"{region}|{song}"] = [title, artist, {}]
            entry[2][str(minute)] = n
        self.titles.update(batch.titles)
        for region, played in batch.newest.items():
            self.newest[region] = max(played, self.newest.get(region, 0.0))
        for region, n in batch.accepted_plays.items():
            newest, plays = self.accepted.get(region, (0.0, 0))
            self.accepted[region] = (max(newest, batch.accepted.get(region, 0.0)), plays + n)
        for region, n in batch.late.items():
            self.late[region] += n
        late_hours = {}
        if batch.late_hours:
            self.hours.add_late(batch.late_hours.items())
            late_hours = {late_hour_key(r, h): n for (r, h), n in batch.late_hours.items()}
        minutes = {minute for _, _, minute in batch.counts}
        self.deltas.append(Delta(batch.first_offset, now, batch.ids, minutes, dict(batch.late), late_hours))
        record = {
            "o": batch.last_offset,
            "at": now,
            "w": self.watermark,
            "s": songs,
            "late": batch.late,
            "lh": late_hours,
            "ids": pack_ids(batch.ids),
        }
        return delta_key(self.partition, batch.first_offset), record

    def take_accepted(self, region: str) -> tuple[float, int]:
        """The newest counted play's Kafka timestamp (0 when none) and the plays counted in ``region``
        since the previous call, which starts the count again."""
        return self.accepted.pop(region, (0.0, 0))

    def compact(self, now: float) -> list[Write]:
        """Close hours, seal closed minutes, drop expired ones and old fingerprints, delete spent deltas."""
        writes, self.pending = self.pending, []
        writes.extend(self.close_hours(now))  # before any minute of them can be dropped
        cutoff = int(now // 60) - self.retention
        closed_before = int((self.watermark - self.lateness_s) // 60)  # minutes < this can gain no plays
        open_minutes = {m for d in self.deltas for m in d.minutes if m not in self.sealed}
        to_seal = sorted(m for m in open_minutes if cutoff <= m < closed_before)
        if to_seal:
            rows: dict[int, list[list]] = {m: [] for m in to_seal}
            for (region, song), buckets in self.minutes.items():
                for m in to_seal:
                    if m in buckets:
                        rows[m].append([region, song, *self.titles[region, song], buckets[m]])
            for m in to_seal:
                writes.append((sealed_key(self.partition, m), {"c": rows[m], "w": self.watermark}))
                self.sealed.add(m)
        for m in sorted(m for m in self.sealed if m < cutoff):
            writes.append((sealed_key(self.partition, m), None))
            self.sealed.discard(m)
        self._drop_minutes_before(cutoff)
        since = now - self.horizon_s
        for delta in self.deltas:
            if delta.at >= since:
                break
            if delta.ids is not None:
                self.seen.difference_update(delta.ids)
                delta.ids = None
        spent: list[Delta] = []
        while self.deltas and self.deltas[0].ids is None:
            if any(m >= cutoff and m not in self.sealed for m in self.deltas[0].minutes):
                break
            spent.append(self.deltas.popleft())
        if spent:
            for delta in spent:
                for region, n in delta.late.items():
                    self.folded_late[region] = self.folded_late.get(region, 0) + n
                self.hours.fold(delta.late_hours)
            self.folded_through = spent[-1].offset
            holder = {
                "through": self.folded_through,
                "late": self.folded_late,
                "lh": dict(self.hours.folded),
                "w": self.watermark,
            }
            writes.append((late_key(self.partition), holder))
            writes.extend((delta_key(self.partition, d.offset), None) for d in spent)
        writes.extend(self.hours.prune(self.hours.through))
        return writes

    def close_hours(self, now: float) -> list[Write]:
        """Close the hours that ended more than the allowed lateness ago; their final records."""
        writes = self.hours.close(int((now - self.lateness_s) // 3600), self.minutes)
        self.closed_before = self.hours.through * 3600.0
        return writes

    def _drop_minutes_before(self, cutoff: int) -> None:
        for key in list(self.minutes):
            buckets = self.minutes[key]
            for m in [m for m in buckets if m < cutoff]:
                del buckets[m]
            if not buckets:
                del self.minutes[key]
                self.titles.pop(key, None)

    def restore(self, records: Iterable[tuple[str, Record]], now: float) -> None:
        """Rebuild from ledger records; deletions a crash left undone go out with the next compaction."""
        deltas: list[tuple[int, Record]] = []
        for key, record in records:
            _, kind, number = split_key(key)
            self.watermark = max(self.watermark, record.get("w", 0.0))
            if kind == "late":
                self.folded_through = record["through"]
                self.folded_late = dict(record["late"])
                for region, n in record["late"].items():
                    self.late[region] += n
                self.hours.restore_late(record.get("lh", {}), folded=True)
            elif kind == "h":
                self.hours.restore_final(number, record)
            elif kind == "m":
                self.sealed.add(number)
                for region, song, title, artist, n in record["c"]:
                    self.minutes.setdefault((region, song), {})[number] = n
                    self.titles[region, song] = (title, artist)
            elif kind == "d":
                deltas.append((number, record))
        since = now - self.horizon_s
        for offset, record in sorted(deltas, key=lambda d: d[0]):
            if offset <= self.folded_through:  # folded before the crash, its deletion lost
                self.pending.append((delta_key(self.partition, offset), None))
                continue
            minutes: set[int] = set()
            for song_key, (title, artist, buckets) in record["s"].items():
                region, song = song_key.split("|", 1)
                self.titles[region, song] = (title, artist)
                for minute_text, n in buckets.items():
                    minute = int(minute_text)
                    minutes.add(minute)
                    if minute not in self.sealed:
                        counts = self.minutes.setdefault((region, song), {})
                        counts[minute] = counts.get(minute, 0) + n
            for region, n in record["late"].items():
                self.late[region] += n
            late_hours = record.get("lh", {})  # absent in deltas written before hours were closed
            self.hours.restore_late(late_hours, folded=False)
            ids = unpack_ids(record["ids"]) if record["at"] >= since else None
            if ids is not None:
                self.seen.update(ids)
            self.deltas.append(Delta(offset, record["at"], ids, minutes, dict(record["late"]), late_hours))
        self.pending.extend(self.close_hours(now))  # hours that closed while no worker owned this
        self.hours.republish_all()
        self._drop_minutes_before(int(now // 60) - self.retention)
