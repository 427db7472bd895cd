"""The worker's live-chart state: every owned partition's tally, the standings and the publish throttle.

One :class:`LiveCharts` is built with the app and handed to the agents. It counts plays into the
ledger and builds the records to publish; sending them and knowing which partitions are owned is
the agents' part, so everything here runs without a Faust worker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, MutableMapping

from topsongs_core.events import PlayEvent
from topsongs_core.live import ChartPartials, HourFinal, SongPlays, encode
from topsongs_core.throttle import LeadingEdgeThrottle
from topsongs_core.timefmt import iso_z

from streams import metrics
from streams.ledger import Record, id_hash, split_key
from streams.partition_tally import BatchTally, PartitionTally
from streams.settings import StreamsSettings
from streams.standings import Standings

# A Kafka record to send: (key, value).
Outgoing = tuple[bytes, bytes]
# A decoded play with where it was read and its Kafka timestamp: (partition, offset, play, epoch seconds).
Counted = tuple[int, int, PlayEvent, float]


class LiveCharts:
    """Tallies of the partitions this worker counted, their standings, and when each region may publish."""

    def __init__(self, settings: StreamsSettings, ledger: MutableMapping[str, Record]) -> None:
        self.settings, self.ledger = settings, ledger
        self.tallies: dict[int, PartitionTally] = {}
        self.standings = Standings(settings.live.top_n, settings.live.windows)
        # Per region, all its windows at once: still at most `publish_rate_hz` messages per (region, window).
        self.throttle = LeadingEdgeThrottle(1.0 / settings.publish_rate_hz)
        self.last_full = 0.0  # when every owned partition was last republished

    def tally_for(self, partition: int) -> PartitionTally:
        """The state of ``partition``, created empty on first use."""
        tally = self.tallies.get(partition)
        if tally is None:
            s = self.settings
            tally = self.tallies[partition] = PartitionTally(
                partition,
                s.allowed_lateness.total_seconds(),
                s.dedup_horizon.total_seconds(),
                s.retention_minutes,
                s.live.top_n,
                s.hours_kept,
            )
        return tally

    def restore(self, now: float) -> None:
        """Rebuild every partition's state and the standings from the (recovered) ledger."""
        records: dict[int, list[tuple[str, Record]]] = defaultdict(list)
        for key, record in self.ledger.items():
            records[split_key(key)[0]].append((key, record))
        self.tallies.clear()
        for partition, items in records.items():
            self.tally_for(partition).restore(items, now)
        self.standings.rebuild(self.tallies, self.standings.current_bounds(now))

    def count(self, plays: Iterable[Counted], now: float) -> bool:
        """Count plays, one ledger write per partition; True if a changed region may publish now."""
        standings = self.standings
        standings.refresh(self.tallies, now)
        batches: dict[int, BatchTally] = {}
        for partition, offset, play, accepted in plays:
            batch = batches.get(partition)
            if batch is None:
                batch = batches[partition] = BatchTally()
            self.tally_for(partition).observe(
                batch,
                offset,
                id_hash(play.event_id),
                play.region,
                play.song_id,
                (play.title, play.artist),
                play.played_at.timestamp(),
                accepted,
            )
        for partition, batch in batches.items():
            write = self.tallies[partition].commit(batch, now)
            if write is not None:
                self.ledger[write[0]] = write[1]
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
        # Held-back regions have their own deadline in the publisher: only one due now is worth a wake-up.
        return any(self.throttle.wait(region, now) == 0 for region in standings.dirty)

    def compact(self, partitions: Iterable[int], now: float) -> list[Outgoing]:
        """Close hours, seal, expire and delete in the ledger; the changed hour finals to publish after it."""
        # Every owned partition closes its hours, also one without plays: its zero finals complete the sum.
        owned = sorted(partitions)
        for partition in owned:
            for key, value in self.tally_for(partition).compact(now):
                if value is not None:
                    self.ledger[key] = value
                elif key in self.ledger:
                    del self.ledger[key]
        return [record for partition in owned for record in self.hour_finals(self.tallies[partition], now)]

    def hour_finals(self, tally: PartitionTally, now: float) -> list[Outgoing]:
        """The changed final records of a partition's closed hours (key ``REGION|hour|partition``)."""
        out = []
        for hour, regions in tally.hours.take_unpublished():
            start = iso_z(hour * 3600, "seconds")
            for region in sorted(regions if regions is not None else {*self.settings.contract.regions}):
                plays, late, top = tally.hours.record(region, hour)
                final = HourFinal(
                    region=region,
                    hour=start,
                    partition=tally.partition,
                    partitions=self.settings.kafka.plays_partitions,
                    plays=plays,
                    late_dropped=late,
                    top=[SongPlays(song_id=song, plays=n) for song, n in top],
                    generated_at=iso_z(now),
                )
                out.append((f"{region}|{start}|{tally.partition}".encode(), encode(final)))
                metrics.hour_finals_published.inc()
        return out

    def due_partials(self, actives: set[int], now: float) -> list[Outgoing]:
        """Chart partials of every changed region its throttle lets through, for the owned ``actives``."""
        settings, standings, throttle = self.settings, self.standings, self.throttle
        if standings.refresh(self.tallies, now) or now - self.last_full >= settings.republish_interval_s:
            standings.mark_all(actives, settings.contract.regions)
            self.last_full = now
        windows, generated = standings.names, iso_z(now)
        due = [region for region in standings.dirty if throttle.wait(region, now) == 0]
        out = []
        for region, partitions in standings.take_dirty(due).items():
            mine = sorted(partitions & actives)
            if not mine:
                continue
            throttle.fired(region, now)
            parts = {p: standings.partial(self.tallies.get(p), p, region) for p in mine}
            for name, (start, end) in zip(windows, standings.bounds, strict=True):
                message = ChartPartials(
                    region=region,
                    window=name,
                    window_start=iso_z(start * 60, "seconds"),
                    window_end=iso_z(end * 60, "seconds"),
                    generated_at=generated,
                    partitions=settings.kafka.plays_partitions,
                    parts={str(p): parts[p][name] for p in mine},
                )
                out.append((f"{region}|{name}".encode(), encode(message)))
                metrics.partials_published.labels(name).inc()
        return out

    def next_due(self, now: float) -> float:
        """Seconds until the next held-back region may publish (one throttle interval if none waits)."""
        throttle = self.throttle
        return min((throttle.wait(region, now) for region in self.standings.dirty), default=throttle.interval)
