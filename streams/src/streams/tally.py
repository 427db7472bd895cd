"""Per-song tallies: minute buckets, dedup ids and late counts in one record (one atomic changelog write)."""

from __future__ import annotations

import enum
from typing import Any

from topsongs_core.events import PlayEvent

SongRecord = dict[str, Any]


class Outcome(enum.Enum):
    """What happened to one play."""

    COUNTED = "counted"
    DUPLICATE = "duplicate"
    LATE = "late"


def table_key(partition: int, region: str, song_id: str) -> str:
    """Table key of a song's record; the partition prefix keeps partitions' keys disjoint."""
    return f"{partition}|{region}|{song_id}"


def late_key(partition: int, region: str) -> str:
    """Key of the record that keeps late counts folded in from swept song records."""
    return f"{partition}|{region}|"


def split_key(key: str) -> tuple[int, str, str]:
    """``(partition, region, song_id)`` of a table key (song_id is empty for late holders)."""
    part, region, song = key.split("|", 2)
    return int(part), region, song


def minute_of(epoch_s: float) -> int:
    """Minute index (epoch minutes) of a timestamp."""
    return int(epoch_s // 60)


def new_record(play: PlayEvent) -> SongRecord:
    """An empty record for a song."""
    return {"t": play.title, "a": play.artist, "m": {}, "ids": {}, "w": 0.0, "late": 0}


def apply_play(
    record: SongRecord | None, play: PlayEvent, watermark: float, lateness_s: float, now: float
) -> tuple[Outcome, SongRecord]:
    """Count ``play`` into ``record`` (updated in place) unless it is a duplicate or too late."""
    record = record if record else new_record(play)
    event_id = str(play.event_id)
    if event_id in record["ids"]:
        return Outcome.DUPLICATE, record
    record["ids"][event_id] = now
    played = play.played_at.timestamp()
    if played < watermark - lateness_s:
        record["late"] += 1
        return Outcome.LATE, record
    minute = str(minute_of(played))
    record["m"][minute] = record["m"].get(minute, 0) + 1
    record["t"], record["a"] = play.title, play.artist
    record["w"] = max(record["w"], played)
    return Outcome.COUNTED, record


def prune(record: SongRecord, oldest_minute: int, dedup_since: float) -> SongRecord:
    """A copy without minute buckets before ``oldest_minute`` and dedup ids seen before ``dedup_since``."""
    return {
        **record,
        "m": {m: c for m, c in record["m"].items() if int(m) >= oldest_minute},
        "ids": {i: t for i, t in record["ids"].items() if t >= dedup_since},
    }


def plays_between(record: SongRecord, start_minute: int, end_minute: int) -> int:
    """Plays in minute buckets ``[start_minute, end_minute)``."""
    return sum(c for m, c in record["m"].items() if start_minute <= int(m) < end_minute)
