"""Agents and timers: count plays into the tallies table, dead-letter poison, publish chart candidates."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable

import orjson
from faust.types import EventT
from prometheus_client import start_http_server
from topsongs_core.events import PlayEvent, decode

from streams import metrics
from streams.app import app, settings
from streams.standings import Standings
from streams.tables import song_tallies
from streams.tally import Outcome, apply_play, late_key, minute_of, prune, split_key, table_key
from streams.topics import dead_letter_topic, live_topic, plays_topic
from streams.windows import iso_minute, iso_now, window_minutes

SWEEP_EVERY_S = 30.0

standings = Standings(settings.top_n)
_last_sweep: dict[int, float] = {}


class _LastFull:
    """When every partition was last republished, and for which window bounds."""

    at = 0.0
    bounds: tuple[tuple[int, int], ...] = ()


@song_tallies.on_recover
async def reindex() -> None:
    """Rebuild the in-memory index from the recovered table."""
    standings.rebuild(song_tallies.items())


@app.agent(plays_topic)
async def count_plays(stream: AsyncIterable[EventT]) -> None:
    """Count each valid play once into its song's record; poison goes to the dead-letter topic."""
    async for event in stream.events():  # type: ignore[attr-defined]
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
        count(event.message.partition, play, time.time())


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


def count(partition: int, play: PlayEvent, now: float) -> None:
    """Apply one decoded play to its record (one changelog write covers count and dedup id)."""
    key = table_key(partition, play.region, play.song_id)
    outcome, record = apply_play(
        song_tallies.get(key),
        play,
        standings.watermarks[partition],
        settings.allowed_lateness.total_seconds(),
        now,
    )
    if outcome is Outcome.DUPLICATE:
        metrics.plays_duplicate.labels(play.region).inc()
    else:
        song_tallies[key] = record
        standings.add(key, record)
        counter = metrics.plays_counted if outcome is Outcome.COUNTED else metrics.plays_late_dropped
        counter.labels(play.region).inc()
    if now - _last_sweep.setdefault(partition, now) >= SWEEP_EVERY_S:
        _last_sweep[partition] = now
        sweep(partition, now)


def sweep(partition: int, now: float) -> None:
    """Drop old buckets and dedup ids; delete idle records, folding their late count into a holder."""
    oldest = minute_of(now) - settings.retention_minutes
    since = now - settings.dedup_horizon.total_seconds()
    for region, keys in list(standings.keys[partition].items()):
        folded = 0
        for key in list(keys):
            record = song_tallies.get(key)
            if record is None or not split_key(key)[2]:
                continue
            pruned = prune(record, oldest, since)
            if pruned["m"] or pruned["ids"]:
                if pruned != record:
                    song_tallies[key] = pruned
                continue
            folded += record["late"]
            del song_tallies[key]
            standings.discard(key)
        if folded:
            holder_key = late_key(partition, region)
            holder = song_tallies.get(holder_key) or {"t": "", "a": "", "m": {}, "ids": {}, "late": 0}
            holder = {**holder, "late": holder["late"] + folded, "w": standings.watermarks[partition]}
            song_tallies[holder_key] = holder
            standings.add(holder_key, holder)


@app.timer(interval=1.0 / settings.publish_rate_hz)
async def publish_partials() -> None:
    """Publish changed (region, window) candidates of this worker's partitions, coalesced to the rate."""
    if app.rebalancing or app.in_recovery:
        return
    topic = plays_topic.get_topic_name()
    actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
    now = time.time()
    windows = settings.window_names
    bounds = tuple(window_minutes(name, now) for name in windows)
    if bounds != _LastFull.bounds or now - _LastFull.at >= settings.republish_interval_s:
        standings.mark_all(actives, settings.contract.regions)
        _LastFull.at, _LastFull.bounds = now, bounds
    for region, partitions in standings.take_dirty().items():
        mine = sorted(partitions & actives)
        if not mine:
            continue
        parts = {p: standings.partial(song_tallies, p, region, windows, now) for p in mine}
        for name, (start, end) in zip(windows, bounds, strict=True):
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


@app.task
async def serve_metrics() -> None:
    """Expose Prometheus metrics when ``STREAMS_METRICS_PORT`` is set."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr="127.0.0.1")
