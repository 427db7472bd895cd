"""The backfill: past hours of simulated listening, sent through ingest so history has charts at once.

Every UTC hour is generated on its own, from the run's seed and the hour alone: its volume follows
the daily curve of the listening model, its plays are spread evenly over the hour and its event ids
are uuid5 of (seed, hour, index). An hour therefore always yields the same plays, whatever window
it is part of; the unfinished current hour yields a prefix of them. A rerun re-sends ids the lake
already holds and the batch side keeps each event_id once, so reruns never inflate history.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from simulator.catalog import Catalog
from simulator.faults import Outgoing
from simulator.listening import UTC_OFFSETS, ListeningConfig, ListeningModel, Play, activity
from simulator.oracle import Oracle
from simulator.report import RunStats, render_summary
from simulator.sender import SendConfig, Sender

HOUR = timedelta(hours=1)
# Stops short of the clock: the live run that follows starts where the backfill ends, and a play
# stamped "now" must not be in the future for an ingest whose clock lags a little.
END_MARGIN = timedelta(minutes=1)
_MEAN_ACTIVITY = 0.6  # activity() averaged over a day


@dataclass(frozen=True)
class BackfillOptions:
    """What to backfill and how to send it."""

    send: SendConfig  # its count is ignored: the plan decides how many plays there are
    regions: dict[str, float]
    hours: int = 24
    plays_per_hour: float = 2000.0
    seed: int = 7
    now: datetime | None = None
    progress: bool = True
    users_per_region: int = 5000
    spike_every_s: float = 240.0


@dataclass(frozen=True)
class HourPlan:
    """One UTC hour: the plays the model gives it and how many of them fall inside the window."""

    start: datetime
    volume: int
    sent: int


def window(now: datetime, hours: int) -> tuple[datetime, datetime]:
    """[start of the current UTC hour - ``hours``, ``now`` - END_MARGIN)."""
    now = now.astimezone(UTC)
    return now.replace(minute=0, second=0, microsecond=0) - hours * HOUR, now - END_MARGIN


def hour_volume(hour: datetime, regions: dict[str, float], plays_per_hour: float) -> int:
    """Plays in one hour: ``plays_per_hour`` on an average hour, scaled by each region's local time."""
    middle = hour + HOUR / 2
    clock = middle.hour + middle.minute / 60
    busy = sum(w * activity((clock + UTC_OFFSETS.get(r, 0)) % 24) for r, w in regions.items())
    return round(plays_per_hour * busy / (_MEAN_ACTIVITY * sum(regions.values())))


def plan(opts: BackfillOptions, now: datetime) -> list[HourPlan]:
    """Every hour of the window, oldest first, with its volume and the plays it sends."""
    start, end = window(now, opts.hours)
    hours = []
    for k in range(opts.hours + 1):
        hour = start + k * HOUR
        volume = hour_volume(hour, opts.regions, opts.plays_per_hour)
        sent = volume if hour + HOUR <= end else _before(hour, volume, end)
        hours.append(HourPlan(hour, volume, sent))
    return hours


def _before(hour: datetime, volume: int, end: datetime) -> int:
    """How many of the hour's plays the model stamps before ``end``."""
    rate = volume / 3600  # the model's very expression, so the boundary matches to the microsecond
    return bisect.bisect_left(range(volume), end, key=lambda i: hour + timedelta(seconds=i / rate))


def _model(catalog: Catalog, opts: BackfillOptions, hour: HourPlan) -> ListeningModel:
    return ListeningModel(
        catalog,
        ListeningConfig(
            regions=opts.regions,
            rate=hour.volume / 3600,
            start=hour.start,
            seed=opts.seed,
            users_per_region=opts.users_per_region,
            spike_every_s=opts.spike_every_s,
            stream=int(hour.start.timestamp()) // 3600,
        ),
    )


def plays(catalog: Catalog, opts: BackfillOptions, hours: list[HourPlan]) -> Iterator[Play]:
    """The planned plays, hour after hour, each in event-time order."""
    for hour in hours:
        if hour.sent:
            yield from itertools.islice(_model(catalog, opts, hour).plays(), hour.sent)


async def backfill(catalog: Catalog, opts: BackfillOptions, console: Console | None = None) -> RunStats:
    """Send the window's plays to ingest, show progress, print the summary and plays per hour."""
    console = console or Console(stderr=True)
    hours = plan(opts, opts.now or datetime.now(UTC))
    total = sum(h.sent for h in hours)
    ends = list(itertools.accumulate(h.sent for h in hours))
    outgoing = (Outgoing("play", p.event_id, p.payload(catalog), p) for p in plays(catalog, opts, hours))
    stats, oracle = RunStats(target_rate=opts.send.rate), Oracle(catalog)
    columns = (
        TextColumn("[bold]backfill"),
        BarColumn(),
        TextColumn("hour {task.fields[hour]}/" + str(len(hours))),
        MofNCompleteColumn(),
        TextColumn("plays"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[accepted]}"),
    )
    send = replace(opts.send, count=total, duration_s=None)
    with Progress(*columns, console=console, disable=not opts.progress) as progress:
        task = progress.add_task("backfill", total=total, hour=0, accepted="")

        def advance(n: int) -> None:
            done = stats.sent_events  # the sender counts a batch before it reports it
            hour = min(bisect.bisect_right(ends, done) + 1, len(hours))
            progress.update(task, advance=n, hour=hour, accepted=f"202: {stats.accepted_count}")

        await Sender(send, stats, oracle, on_progress=advance).run_until_cancelled(outgoing)
    render_summary(console, stats.summary(), title="simulator backfill")
    console.print(_per_hour(hours, oracle, opts.regions))
    return stats


def _per_hour(hours: list[HourPlan], oracle: Oracle, regions: dict[str, float]) -> Table:
    table = Table(title="plays per hour (UTC)")
    for name in ("hour", "planned", "accepted", ""):
        table.add_column(name, justify="left" if name in ("hour", "") else "right")
    peak = max((h.sent for h in hours), default=0) or 1
    for h in hours:
        at = int(h.start.timestamp())
        accepted = sum(sum(oracle.counts(r, at, at + 3600).values()) for r in regions)
        label = h.start.strftime("%Y-%m-%d %H:00") + ("" if h.sent == h.volume else " (so far)")
        table.add_row(label, str(h.sent), str(accepted), "█" * round(20 * h.sent / peak))
    return table
