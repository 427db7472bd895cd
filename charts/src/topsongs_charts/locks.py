"""PostgreSQL advisory locks that serialise every writer of one hour or one day of charts.

An hourly ETL retry, a restatement, the hourly run's day update and the daily run may process the
same hour at once. Each step reads the lake and writes its interval whole, so holding the interval's
lock for the step makes concurrent runs equivalent to some serial order: the last one read the
newest files, and files committed after its read leave the hour stale for the restatement.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime

import psycopg

from topsongs_charts.intervals import as_hour, day_hours
from topsongs_charts.settings import ChartsSettings

# Lock classes of pg_advisory_lock(int4, int4); the second key is the interval's number.
_HOUR_LOCK = 0x70534831  # "pSH1"
_DAY_LOCK = 0x70534431  # "pSD1"
_CLAIMS_LOCK = 0x70534331  # "pSC1"


class LockTimeout(RuntimeError):
    """Another writer held the interval for longer than the lock timeout."""


@contextmanager
def _locks(settings: ChartsSettings, keys: Sequence[tuple[int, int, str]]) -> Iterator[None]:
    timeout = settings.lock_timeout
    with psycopg.connect(settings.postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"SET lock_timeout = {int(timeout.total_seconds() * 1000)}")
        for kind, number, name in keys:
            try:
                conn.execute("SELECT pg_advisory_lock(%s, %s)", (kind, number))
            except psycopg.errors.LockNotAvailable as error:
                raise LockTimeout(f"{name} is still being written by another run after {timeout}") from error
        # Session locks: closing the connection releases them, also when the process dies.
        yield


def _hour_key(hour: datetime) -> tuple[int, int, str]:
    hour = as_hour(hour)
    return _HOUR_LOCK, int(hour.timestamp()) // 3600, f"hour {hour:%Y-%m-%dT%H}"


def hour_lock(settings: ChartsSettings, hour: datetime) -> AbstractContextManager[None]:
    """Hold the lock of one hour (its enriched partitions, manifest and hourly rows) for the block."""
    return _locks(settings, [_hour_key(hour)])


def day_lock(settings: ChartsSettings, day: date) -> AbstractContextManager[None]:
    """Hold the day's lock, then its 24 hours' in order (so no two writers wait on each other in a
    cycle), for a block that reads the day's hours and writes its daily chart."""
    hours = [_hour_key(h) for h in day_hours(day)]
    return _locks(settings, [(_DAY_LOCK, day.toordinal(), f"day {day}"), *hours])


def claims_lock(settings: ChartsSettings) -> AbstractContextManager[None]:
    """Hold the lock of the dataset's event_id claims (taken inside an hour's lock, never around one)."""
    number = zlib.crc32(settings.lake.plays_path.encode()) & 0x7FFFFFFF
    return _locks(settings, [(_CLAIMS_LOCK, number, f"claims of {settings.lake.plays_path}")])
