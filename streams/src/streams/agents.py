"""Agents and timers: count plays batch by batch into the ledger, dead-letter poison, publish candidates."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterable, Iterable

import orjson
from faust.types import EventT
from prometheus_client import start_http_server
from topsongs_core.events import PlayEvent, decode

from streams import metrics
from streams.app import app, settings
from streams.ledger import Record, id_hash, split_key
from streams.partition_tally import BatchTally, PartitionTally
from streams.standings import Standings
from streams.tables import play_ledger
from streams.throttle import LeadingEdgeThrottle
from streams.topics import dead_letter_topic, live_hours_topic, live_topic, plays_topic
from streams.windows import iso_hour, iso_minute, iso_now

tallies: dict[int, PartitionTally] = {}
standings = Standings(settings.top_n, settings.window_names)
# Per region, all its windows at once: still at most `publish_rate_hz` messages per (region, window).
throttle = LeadingEdgeThrottle(1.0 / settings.publish_rate_hz)


class _LastFull:
    """When every partition was last republished."""

    at = 0.0


class _Counted:
    """Set by the agent when a counted batch changed a region that may be published at once."""

    event = asyncio.Event()


def tally_for(partition: int) -> PartitionTally:
    """The state of ``partition``, created empty on first use."""
    tally = tallies.get(partition)
    if tally is None:
        tally = tallies[partition] = PartitionTally(
            partition,
            settings.allowed_lateness.total_seconds(),
            settings.dedup_horizon.total_seconds(),
            settings.retention_minutes,
            settings.top_n,
            settings.hours_kept,
        )
    return tally


@play_ledger.on_recover
async def restore() -> None:
    """Rebuild every partition's state and the standings from the recovered ledger."""
    now = time.time()
    records: dict[int, list[tuple[str, Record]]] = defaultdict(list)
    for key, record in play_ledger.items():
        records[split_key(key)[0]].append((key, record))
    tallies.clear()
    for partition, items in records.items():
        tally_for(partition).restore(items, now)
    standings.rebuild(tallies, standings.current_bounds(now))


@app.agent(plays_topic)
async def count_plays(stream: AsyncIterable[EventT]) -> None:
    """Count a batch of plays at a time: one ledger write per partition per batch; poison is dead-lettered."""
    batches = stream.take_events(settings.batch_max, within=settings.batch_within_s)  # type: ignore[attr-defined]
    async for events in batches:
        plays: list[tuple[int, int, PlayEvent]] = []
        for event in events:
            try:
                play = decode(event.value, settings.contract)
            except (ValueError, TypeError) as exc:  # orjson and pydantic errors are ValueErrors
                await dead_letter(event, exc)
                continue
            if event.key != play.kafka_key():
                # Exactness needs every play of a (region, song) on one partition: re-key it.
                metrics.plays_rerouted.inc()
                await plays_topic.send(key=play.kafka_key(), value=event.value)
                continue
            plays.append((event.message.partition, event.message.offset, play))
        # No awaits from here on: a recovery cannot interleave with a half-applied batch.
        now = time.time()
        count(plays, now)
        # Wake the publisher only for a region it may publish now; held-back ones have their own timer.
        if any(throttle.wait(region, now) == 0 for region in standings.dirty):
            _Counted.event.set()


async def dead_letter(event: EventT, exc: Exception) -> None:
    """Forward the original bytes with the error in headers."""
    message = event.message
    metrics.plays_dead_lettered.labels(type(exc).__name__).inc()
    await dead_letter_topic.send(
        key=message.key,
        value=message.value,
        headers=[
            ("error", str(exc)[:2000].encode()),
            ("error_type", type(exc).__name__.encode()),
            ("source", f"{message.topic}/{message.partition}/{message.offset}".encode()),
        ],
    )


def count(plays: Iterable[tuple[int, int, PlayEvent]], now: float) -> None:
    """Aggregate decoded plays per partition, then write each partition's delta once."""
    standings.refresh(tallies, now)
    batches: dict[int, BatchTally] = {}
    for partition, offset, play in plays:
        batch = batches.get(partition)
        if batch is None:
            batch = batches[partition] = BatchTally()
        tally_for(partition).observe(
            batch,
            offset,
            id_hash(play.event_id),
            play.region,
            play.song_id,
            (play.title, play.artist),
            play.played_at.timestamp(),
        )
    for partition, batch in batches.items():
        write = tallies[partition].commit(batch, now)
        if write is not None:
            play_ledger[write[0]] = write[1]
        standings.add(partition, batch.counts.items())
        counted: dict[str, int] = defaultdict(int)
        for (region, _, _), n in batch.counts.items():
            counted[region] += n
        for region, n in counted.items():
            metrics.plays_counted.labels(region).inc(n)
        for region, n in batch.late.items():
            standings.mark_region(region, partition)
            metrics.plays_late_dropped.labels(region).inc(n)
        for region, n in batch.duplicates.items():
            metrics.plays_duplicate.labels(region).inc(n)


def _active_partitions() -> set[int]:
    topic = plays_topic.get_topic_name()
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}


@app.timer(interval=settings.compact_interval_s)
async def compact_ledger() -> None:
    """Close hours, seal closed minutes, expire old ones and fingerprints, delete spent deltas."""
    if app.rebalancing or app.in_recovery:
        return
    now = time.time()
    # Every owned partition closes its hours, also one without plays: its zero finals complete the sum.
    partitions = sorted(_active_partitions())
    for partition in partitions:
        for key, value in tally_for(partition).compact(now):
            if value is not None:
                play_ledger[key] = value
            elif key in play_ledger:
                del play_ledger[key]
    # Only after the ledger writes: a crash in between republishes from the ledger after recovery.
    for partition in partitions:
        await publish_hours(tallies[partition], now)


async def publish_hours(tally: PartitionTally, now: float) -> None:
    """Publish the changed final records of a partition's closed hours (key ``REGION|hour|partition``)."""
    for hour, regions in tally.hours.take_unpublished():
        start = iso_hour(hour)
        for region in sorted(regions if regions is not None else {*settings.contract.regions}):
            plays, late, top = tally.hours.record(region, hour)
            message = {
                "kind": "hour-final",
                "region": region,
                "hour": start,
                "partition": tally.partition,
                "partitions": settings.kafka.plays_partitions,
                "plays": plays,
                "late_dropped": late,
                "top": [{"song_id": song, "plays": n} for song, n in top],
                "generated_at": iso_now(now),
            }
            await live_hours_topic.send(
                key=f"{region}|{start}|{tally.partition}".encode(), value=orjson.dumps(message)
            )
            metrics.hour_finals_published.inc()


@app.task
async def publish_partials() -> None:
    """Publish changed (region, window) candidates: at once after a quiet interval, else at its end."""
    while not app.should_stop:
        delay = throttle.interval  # idle ticks still catch minute boundaries and republishing
        if not (app.rebalancing or app.in_recovery):
            delay = await publish_due(time.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_Counted.event.wait(), delay)
        _Counted.event.clear()


async def publish_due(now: float) -> float:
    """Publish every changed region its throttle lets through; seconds until the next one may go."""
    actives = _active_partitions()
    if standings.refresh(tallies, now) or now - _LastFull.at >= settings.republish_interval_s:
        standings.mark_all(actives, settings.contract.regions)
        _LastFull.at = now
    windows = settings.window_names
    due = [region for region in standings.dirty if throttle.wait(region, now) == 0]
    for region, partitions in standings.take_dirty(due).items():
        mine = sorted(partitions & actives)
        if not mine:
            continue
        throttle.fired(region, now)
        parts = {p: standings.partial(tallies.get(p), p, region) for p in mine}
        for name, (start, end) in zip(windows, standings.bounds, strict=True):
            message = {
                "kind": "chart-partials",
                "region": region,
                "window": name,
                "window_start": iso_minute(start),
                "window_end": iso_minute(end),
                "generated_at": iso_now(now),
                "partitions": settings.kafka.plays_partitions,
                "parts": {str(p): parts[p][name] for p in mine},
            }
            await live_topic.send(key=f"{region}|{name}".encode(), value=orjson.dumps(message))
            metrics.partials_published.labels(name).inc()
    later = time.time()
    return min((throttle.wait(region, later) for region in standings.dirty), default=throttle.interval)


@app.task
async def serve_metrics() -> None:
    """Expose Prometheus metrics when ``STREAMS_METRICS_PORT`` is set."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr="127.0.0.1")
