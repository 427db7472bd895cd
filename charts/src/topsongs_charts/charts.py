"""Hourly and daily chart loads: lake → rollup → checks → PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from topsongs_charts import loads, quality
from topsongs_charts.etl import enriched_key, marker_key
from topsongs_charts.intervals import as_hour, day_hours
from topsongs_charts.lake import Lake
from topsongs_charts.locks import day_lock, hour_lock
from topsongs_charts.rollup import read_enriched, region_totals, song_plays, top_songs
from topsongs_charts.settings import ChartsSettings


class NotReady(RuntimeError):
    """An input interval has not been produced yet (the sensor waits on this)."""


def _manifest(lake: Lake, settings: ChartsSettings, hour: datetime) -> dict:
    manifest = lake.read_json(marker_key(settings, hour))
    if manifest is None:
        raise NotReady(f"hour {hour.isoformat()} has not been enriched yet")
    return manifest


def run_hourly_charts(settings: ChartsSettings, hour: datetime, lake: Lake | None = None) -> dict:
    """Load `plays_hourly` and `top_songs_hourly` for one hour; returns per-region plays."""
    hour = as_hour(hour)
    lake = lake or Lake.from_s3(settings.s3)
    with hour_lock(settings, hour):
        return _load_hour(settings, hour, lake)


def _load_hour(settings: ChartsSettings, hour: datetime, lake: Lake) -> dict:
    manifest = _manifest(lake, settings, hour)
    keys = [enriched_key(settings, region, hour) for region in sorted(manifest["regions"])]
    per_song = song_plays(read_enriched(lake, keys))
    top = top_songs(per_song, settings.top_n)
    totals = region_totals(per_song)
    quality.require_same_totals(f"hour {hour:%Y-%m-%dT%H}", lake=totals, manifest=manifest["regions"])
    quality.require_ranks(top, f"hour {hour:%Y-%m-%dT%H}")
    loads.load_hourly(settings.postgres, hour, per_song, top)
    return {"hour": hour.isoformat(), "plays": totals, "chart_rows": top.num_rows}


def load_matches(loaded: dict[str, int] | None, manifest: dict) -> bool:
    """Whether an hour's recorded load (its plays per region, None without one) is the load of its
    enriched manifest: False when the hour's ETL ran again, or for the first time, after it."""
    return loaded == {region: n for region, n in manifest["regions"].items() if n}


def missing_hourly_loads(settings: ChartsSettings, day: date) -> list[datetime]:
    """Hours of the day whose hourly load is still missing."""
    hours = day_hours(day)
    done = loads.loaded_hours(settings.postgres, hours[0], hours[-1] + timedelta(hours=1))
    return [h for h in hours if h not in done]


def run_daily_charts(settings: ChartsSettings, day: date, lake: Lake | None = None) -> dict:
    """Load `top_songs_daily` for one UTC day, checking hourly sums = daily = enriched rows."""
    lake = lake or Lake.from_s3(settings.s3)
    with day_lock(settings, day):
        return _load_complete_day(settings, day, lake)


def _load_complete_day(settings: ChartsSettings, day: date, lake: Lake) -> dict:
    missing = missing_hourly_loads(settings, day)
    if missing:
        raise NotReady(f"{len(missing)} hourly loads of {day} are missing, first {missing[0]}")
    return _load_day(settings, day, day_hours(day), lake)


def update_day(settings: ChartsSettings, day: date, lake: Lake | None = None) -> dict | None:
    """Reload the day's chart after an hour of it was loaded: the day so far (not complete) from its
    loaded hours, or the complete day again once its own run made it complete. None: no hour yet."""
    lake = lake or Lake.from_s3(settings.s3)
    with day_lock(settings, day):
        if loads.daily_complete(settings.postgres, day):
            return _load_complete_day(settings, day, lake)
        missing = set(missing_hourly_loads(settings, day))
        hours = [h for h in day_hours(day) if h not in missing]
        if not hours:
            return None
        return _load_day(settings, day, hours, lake, complete=not missing)


def _load_day(
    settings: ChartsSettings, day: date, hours: list[datetime], lake: Lake, *, complete: bool = True
) -> dict:
    """Roll up the enriched ``hours`` of ``day``, check them against their hourly loads, load them.
    The caller holds the day's locks."""
    manifests = [_manifest(lake, settings, h) for h in hours]
    loaded = loads.hourly_plays(settings.postgres, hours[0], hours[-1] + timedelta(hours=1))
    for hour, manifest in zip(hours, manifests, strict=True):
        # An ETL whose hourly load has not run yet (a retry or restatement between its two steps):
        # load the hour now rather than fail on counts that will agree a moment later.
        if not load_matches(loaded.get(hour), manifest):
            _load_hour(settings, hour, lake)
    keys = [
        enriched_key(settings, region, h)
        for h, m in zip(hours, manifests, strict=True)
        for region in sorted(m["regions"])
    ]
    per_song = song_plays(read_enriched(lake, keys))
    top = top_songs(per_song, settings.top_n)
    enriched_rows: dict[str, int] = {}
    for manifest in manifests:
        for region, rows in manifest["regions"].items():
            enriched_rows[region] = enriched_rows.get(region, 0) + rows
    totals = region_totals(per_song)
    quality.require_same_totals(
        f"day {day}",
        daily=totals,
        hourly=loads.hourly_totals(settings.postgres, day),
        enriched=enriched_rows,
    )
    quality.require_ranks(top, f"day {day}")
    loads.load_daily(settings.postgres, day_hours(day)[0], per_song, top, complete=complete)
    return {"date": day.isoformat(), "plays": totals, "chart_rows": top.num_rows, "complete": complete}
