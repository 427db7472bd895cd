"""Restatement: hours whose raw partitions gained files after their last ETL are processed again.

Plays may arrive up to the contract's ``max_event_age`` late. Spark appends them to their hour's
raw partition; the hour's manifest records how many files its ETL read, so an hour with more
committed files than that is stale. Restating re-runs ETL → hourly load for exactly those hours,
then the daily load of their days (complete once settled, the day so far before). A settled day
whose chart is still the day so far (its own run failed for good, and no hour of it had files to
restate) is completed too, or the run fails naming it. Every step
replaces its interval whole, and steps over one hour or day hold its lock (``locks``), so re-runs
and overlaps with the scheduled runs are harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from topsongs_charts import loads
from topsongs_charts.charts import (
    load_matches,
    missing_hourly_loads,
    run_daily_charts,
    run_hourly_charts,
    update_day,
)
from topsongs_charts.etl import marker_key, run_hourly_etl
from topsongs_charts.intervals import day_hours
from topsongs_charts.lake import Lake
from topsongs_charts.raw import files_per_hour, lake_files
from topsongs_charts.settings import ChartsSettings

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _settled(settings: ChartsSettings, end: datetime, now: datetime) -> bool:
    # The interval's scheduled run has had its deadline and its whole wait for the lake.
    return end + settings.deadline_grace + settings.lake_wait_limit <= now


def _day_end(hour: datetime) -> datetime:
    return datetime.combine(hour.date(), time(), UTC) + DAY


def _scan_key(settings: ChartsSettings) -> str:
    # Raw files per hour at the previous scan: which hours outside the window gained files since.
    return f"{settings.enriched_prefix}/_restatement/files_per_hour.json"


def stale_hours(settings: ChartsSettings, now: datetime, lake: Lake | None = None) -> list[datetime]:
    """Closed hours whose lake files outnumber what their ETL read, oldest first, at most
    ``restate_batch_hours``. Hours never processed count once their run has settled, and so do hours
    whose last load failed for good (PostgreSQL down past the task's retries): the hourly load is
    not the manifest's, or the settled day's chart is older than the hour's load.

    Candidates are the hours inside the ingest horizon (``max_event_age`` + 1 h) and, whatever their
    age, every hour whose file count changed since the previous scan: a play accepted at the horizon
    whose file reaches the lake after its hour left the window is charted all the same. The counts
    are remembered for the next scan, except those of stale hours, so they stay candidates until
    restated."""
    lake = lake or Lake.from_s3(settings.s3)
    files = files_per_hour(
        lake_files(lake, settings.lake.plays_path, honour_spark_log=settings.honour_spark_log)
    )
    scanned = lake.read_json(_scan_key(settings))
    previous = {datetime.fromisoformat(h): n for h, n in (scanned or {}).items()}
    oldest = now - settings.contract.max_event_age - HOUR
    candidates: dict[datetime, dict | None] = {}
    for hour, count in sorted(files.items()):
        changed = scanned is not None and previous.get(hour, 0) != count
        if (hour >= oldest or changed) and hour + HOUR <= now:
            candidates[hour] = lake.read_json(marker_key(settings, hour))
    # Loads that failed for good (the database down past the task's retries): settled hours whose
    # load is not their manifest's, or is newer than the chart of their settled day.
    enriched = [h for h, m in candidates.items() if m is not None and _settled(settings, h + HOUR, now)]
    loaded, ahead = {}, set()
    if enriched:
        loaded = loads.hourly_plays(settings.postgres, enriched[0], enriched[-1] + HOUR)
        ahead = loads.hours_ahead_of_their_day(settings.postgres, enriched[0], enriched[-1] + HOUR)
    stale: list[datetime] = []
    for hour, manifest in candidates.items():
        if manifest is None:
            if _settled(settings, hour + HOUR, now):
                stale.append(hour)
        elif manifest.get("raw_files", -1) < files[hour]:
            stale.append(hour)
        elif hour in enriched and not load_matches(loaded.get(hour), manifest):
            stale.append(hour)
        elif hour in ahead and _settled(settings, _day_end(hour), now):
            stale.append(hour)
    remembered = {h: previous.get(h, 0) if h in stale else n for h, n in files.items()}
    lake.write_json(_scan_key(settings), {h.isoformat(): n for h, n in sorted(remembered.items())})
    return stale[: settings.restate_batch_hours]


def restate_hour(settings: ChartsSettings, hour: datetime, lake: Lake | None = None) -> dict:
    """ETL and hourly load of one hour again; returns its plays per region."""
    lake = lake or Lake.from_s3(settings.s3)
    run_hourly_etl(settings, hour, lake)
    return run_hourly_charts(settings, hour, lake)


def days_to_reload(settings: ChartsSettings, hours: Iterable[datetime], now: datetime) -> list[date]:
    """The days of ``hours`` whose scheduled daily run has settled (younger days are left to it)."""
    days = sorted({h.date() for h in hours})
    return [d for d in days if _settled(settings, datetime.combine(d, time(), UTC) + DAY, now)]


def complete_day(settings: ChartsSettings, day: date, lake: Lake | None = None) -> dict:
    """Process every hour of ``day`` without an hourly load or an enriched manifest (hours without
    plays too; a manifest can be missing when the lake was reset under a database), then load the day."""
    lake = lake or Lake.from_s3(settings.s3)
    unloaded = set(missing_hourly_loads(settings, day))
    for hour in day_hours(day):
        if hour in unloaded or not lake.exists(marker_key(settings, hour)):
            restate_hour(settings, hour, lake)
    return run_daily_charts(settings, day, lake)


class DaysNotCompleted(RuntimeError):
    """Settled days whose complete chart could not be loaded; each stays ``pending`` until one is."""


def overdue_days(settings: ChartsSettings, now: datetime) -> list[date]:
    """Days inside the ingest horizon whose own run has settled while their chart is still the day
    so far, oldest first, at most one day per 24 of ``restate_batch_hours`` (at least one)."""
    # The horizon of stale_hours: older days can gain no play, and their charts are left as they are.
    ended_after = now - settings.contract.max_event_age - HOUR
    ended_by = now - settings.deadline_grace - settings.lake_wait_limit
    days = loads.incomplete_days(settings.postgres, ended_after, ended_by)
    return days[: max(1, settings.restate_batch_hours // 24)]


def complete_overdue_days(settings: ChartsSettings, now: datetime) -> dict[str, dict]:
    """Complete every overdue day: its missing hours, then its chart. A day that fails is named in
    ``DaysNotCompleted`` after the others were tried, so one broken day does not hold the rest."""
    lake = Lake.from_s3(settings.s3)
    done: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for day in overdue_days(settings, now):
        try:
            done[day.isoformat()] = complete_day(settings, day, lake)
        except Exception as exc:  # reported together below, each with its cause
            failed[day.isoformat()] = f"{type(exc).__name__}: {exc}"
    if failed:
        raise DaysNotCompleted(
            f"{len(failed)} settled days still serve the day so far (status pending): "
            + "; ".join(f"{day}: {why}" for day, why in failed.items())
        )
    return done


def reload_days(settings: ChartsSettings, hours: Iterable[datetime], now: datetime) -> list[dict | None]:
    """The daily load of every day of ``hours``: complete for settled days, the day so far for others."""
    hours = list(hours)
    lake = Lake.from_s3(settings.s3)
    settled = days_to_reload(settings, hours, now)
    return [
        complete_day(settings, day, lake) if day in settled else update_day(settings, day, lake)
        for day in sorted({h.date() for h in hours})
    ]
