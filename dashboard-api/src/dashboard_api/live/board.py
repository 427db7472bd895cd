"""Merges per-partition chart candidates into the exact global top N per (region, window)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from topsongs_core.live import (
    Candidate,
    ChartPartials,
    LiveEntry,
    LiveSnapshot,
    LiveUpdate,
    Movement,
    PartitionCandidates,
    decode_partials,
    encode,
)
from topsongs_core.throttle import LeadingEdgeThrottle
from topsongs_core.timefmt import iso_z
from topsongs_core.windows import ChartWindow

from dashboard_api.live.hub import FanoutHub
from dashboard_api.live.latency import PushLatency

StreamKey = tuple[str, str]


@dataclass
class _Stream:
    """The latest candidates of every partition for one (region, window), and what was last sent."""

    parts: dict[str, PartitionCandidates] = field(default_factory=dict)
    window: tuple[str, str] | None = None
    seq: int = 0
    sent: LiveUpdate | None = None
    dirty: bool = False
    held: bool = False
    # Since the last push: Kafka's timestamp (epoch s) of the newest play the records carried, and
    # how many plays (measured streams only, see PushLatency).
    accepted: float = 0.0
    accepted_plays: int = 0


def rank_entries(candidates: list[Candidate], previous: list[LiveEntry], top_n: int) -> list[LiveEntry]:
    """The top N of ``candidates`` (plays desc, song_id asc) with ``prev_rank`` and ``movement``."""
    best = sorted(candidates, key=lambda c: (-c.plays, c.song_id))[:top_n]
    before = {e.song_id: e.rank for e in previous}
    entries = []
    for rank, c in enumerate(best, start=1):
        prev = before.get(c.song_id)
        movement: Movement = "new"
        if prev is not None:
            movement = "up" if prev > rank else "down" if prev < rank else "same"
        entries.append(
            LiveEntry(
                rank=rank,
                song_id=c.song_id,
                title=c.title,
                artist=c.artist,
                plays=c.plays,
                prev_rank=prev,
                movement=movement,
            )
        )
    return entries


def parse_iso(text: str) -> float:
    """Epoch seconds of an IsoZ time (``2025-04-23T14:29:00.123Z``)."""
    return datetime.fromisoformat(text).timestamp()


def _same_chart(a: LiveUpdate, b: LiveUpdate) -> bool:
    # generated_at always differs and movement only settles: neither alone is worth a frame.
    # The plays and the newest play do count: they tell the board how fresh it is.
    fields = ("window_start", "window_end", "late_dropped", "plays", "newest_play_at", "entries")
    return all(getattr(a, name) == getattr(b, name) for name in fields)


class LiveBoard:
    """Latest snapshot and sequence number per (region, window); publishes changes to the hub."""

    def __init__(
        self,
        regions: tuple[str, ...],
        windows: tuple[str, ...],
        top_n: int,
        hub: FanoutHub,
        rate_hz: float,
        latency: PushLatency | None = None,
    ):
        self.top_n = top_n
        self.hub = hub
        # Every window's record of one publish carries the same plays: one window is measured, the first.
        self.latency = latency or PushLatency()
        self.measured = windows[0]
        self.windows = {name: ChartWindow.parse(name) for name in windows}
        self.throttle = LeadingEdgeThrottle(1.0 / rate_hz)
        self.streams: dict[StreamKey, _Stream] = {(r, w): _Stream() for r in regions for w in windows}

    def ingest(self, raw: bytes | str | ChartPartials, measure: bool = True) -> None:
        """Take one live-topic record (its value, validated here: raises a ValueError when malformed);
        ``measure`` False leaves its plays out of the push latency (a record replayed from the backlog)."""
        message = raw if isinstance(raw, ChartPartials) else decode_partials(raw)
        stream = self.streams.get((message.region, message.window))
        if stream is None:
            return
        window = (message.window_start, message.window_end)
        if stream.window is None or window[1] >= stream.window[1]:
            stream.window = window
        stream.parts.update(message.parts)
        stream.dirty = True
        if measure and message.window == self.measured:
            for part in message.parts.values():
                if part.accepted_plays and part.newest_accepted_at is not None:
                    stream.accepted_plays += part.accepted_plays
                    stream.accepted = max(stream.accepted, parse_iso(part.newest_accepted_at))

    def flush(self, now: float | None = None) -> float | None:
        """Publish each changed stream sent at least an interval ago; seconds until the next may go.

        Leading edge: a change after a quiet interval goes out at once, one within the interval at its
        end, so a stream sends at most ``rate_hz`` messages a second and a change waits at most 1/rate.
        Returns None when no changed stream is held back.
        """
        now = time.time() if now is None else now
        soonest: float | None = None
        for key, stream in self.streams.items():
            if not stream.dirty:
                continue
            wait = self.throttle.wait(key, now)
            if wait > 0:
                stream.held = True
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            held, stream.dirty, stream.held = stream.held, False, False
            accepted, plays = stream.accepted, stream.accepted_plays
            stream.accepted, stream.accepted_plays = 0.0, 0
            body = self._merge(key, stream, now, stream.seq + 1)
            if stream.sent is not None and _same_chart(body, stream.sent):
                continue  # nothing pushed, nothing to measure
            self.throttle.fired(key, now, held=held)
            stream.seq, stream.sent = body.seq, body
            self.hub.publish(key, body.seq, encode(body).decode())
            if plays:
                self.latency.observe(time.time() - accepted, plays)
        return soonest

    def _merge(self, key: StreamKey, stream: _Stream, now: float, seq: int) -> LiveUpdate:
        candidates = [e for part in stream.parts.values() for e in part.entries]
        previous = stream.sent.entries if stream.sent else []
        start, end = stream.window or self.windows[key[1]].range_at(now)
        return LiveUpdate(
            seq=seq,
            region=key[0],
            window=key[1],
            window_start=start,
            window_end=end,
            late_dropped=sum(part.late_dropped for part in stream.parts.values()),
            plays=sum(part.plays for part in stream.parts.values()),
            # Same-width ISO strings: the greatest is the newest.
            newest_play_at=max(
                (p.newest_play_at for p in stream.parts.values() if p.newest_play_at), default=None
            ),
            generated_at=iso_z(now),
            entries=rank_entries(candidates, previous, self.top_n),
        )

    def snapshot(self, region: str, window: str) -> LiveSnapshot:
        """The current full snapshot of one stream (an empty chart before the first update)."""
        stream = self.streams[(region, window)]
        body = stream.sent or self._merge((region, window), _Stream(), time.time(), stream.seq)
        # Already validated as an update: only the tag differs.
        return LiveSnapshot.model_construct(**{**dict(body), "type": "snapshot"})
