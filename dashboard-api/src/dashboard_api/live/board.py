"""Merges per-partition chart candidates into the exact global top N per (region, window).

Each (region, window) stream is sent to its clients through *outlets*, one per rate class and phase
group (docs/live-charts.md, "Push rate per connection"): an outlet has its own ``seq``, throttle and
last sent chart, so every client's ``seq`` stays gap-free at the rate it asked for, and each frame
is merged and encoded once per outlet, never per client.

The POST → WebSocket latency (dashboard_api.live.latency) is observed on one outlet per (region,
measured window): the default rate's first phase group, which is flushed even without clients.
"""

from __future__ import annotations

import math
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
# (region, window, rate class in Hz, phase group): the hub's key of one outlet's clients.
OutletKey = tuple[str, str, float, int]

# The rates a client can be served at; a client asking for another is served at the fastest class
# not above it, so a few outlets serve any mix of asked rates (each costs a merge and an encode per
# frame, whatever its number of clients). The server's cap and default rate are classes too.
RATE_CLASSES: tuple[float, ...] = (50.0, 20.0, 10.0, 5.0, 4.0, 2.0, 1.0, 0.5, 0.2, 0.1)
MIN_RATE_HZ = RATE_CLASSES[-1]
# Classes at or below this rate are spread: their clients are split into phase groups whose frames
# go out on fixed slots SPREAD_SLOT_S apart, so 10,000 wall displays at 1/s are written ~500 at a
# time, each group with the chart as of its own slot, instead of all in one burst per second.
SPREAD_AT_OR_BELOW_HZ = 2.0
SPREAD_SLOT_S = 0.05
SPREAD_MAX_GROUPS = 20


def rate_class(asked: float, cap: float, default: float) -> float:
    """The rate a client asking for ``asked`` updates/s (MIN_RATE_HZ ≤ asked ≤ cap) is served at."""
    return max((c for c in (cap, default, *RATE_CLASSES) if c <= min(asked, cap)), default=MIN_RATE_HZ)


def phase_groups(rate_hz: float) -> int:
    """How many phase groups a rate class's clients are spread over (1: not spread, leading edge)."""
    if rate_hz > SPREAD_AT_OR_BELOW_HZ:
        return 1
    return max(1, min(SPREAD_MAX_GROUPS, round(1.0 / rate_hz / SPREAD_SLOT_S)))


@dataclass
class _Outlet:
    """What one rate class and phase group of a stream was last sent, with its own gap-free seq."""

    seq: int = 0
    sent: LiveUpdate | None = None
    dirty: bool = False
    held: bool = False
    # A spread outlet's slots (the others use the throttle): its last send, and the next while held.
    last: float | None = None
    due: float | None = None
    # The measured outlet only (see LiveBoard.measured): since its last merge, Kafka's timestamp
    # (epoch s) of the newest play the records carried, and how many plays (see PushLatency).
    measured: bool = False
    accepted: float = 0.0
    accepted_plays: int = 0


@dataclass
class _Stream:
    """The latest candidates of every partition for one (region, window), and its outlets."""

    parts: dict[str, PartitionCandidates] = field(default_factory=dict)
    window: tuple[str, str] | None = None
    outlets: dict[tuple[float, int], _Outlet] = field(default_factory=dict)


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
    """Latest snapshot and sequence number per outlet of each (region, window); publishes changes.

    ``rate_hz`` is the rate of a client that asks for none, and of ``snapshot()`` (GET /api/live).

    Push latency: every window's record of one publish carries the same plays, so one window is
    measured, the first; and every rate class pushes the same plays, so one outlet of it is, the
    default rate's phase group 0 (*the measured outlet*). It exists from the start and is flushed
    even without clients, so each worker's figures do not depend on who is connected to it (only
    the elected worker observes): every pushed update of the default class is observed once when
    that class is not spread (above SPREAD_AT_OR_BELOW_HZ, as the default 20/s), and each play
    reaches ``dashboard_live_pushed_plays_total`` once.
    """

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
        self.rate_hz = rate_hz
        self.latency = latency or PushLatency()
        self.measured = windows[0]
        self.windows = {name: ChartWindow.parse(name) for name in windows}
        self.throttles: dict[float, LeadingEdgeThrottle] = {}
        self.streams: dict[StreamKey, _Stream] = {(r, w): _Stream() for r in regions for w in windows}
        for region in regions:
            self.streams[(region, self.measured)].outlets[(rate_hz, 0)] = _Outlet(measured=True)

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
        for outlet in stream.outlets.values():
            outlet.dirty = True
            if outlet.measured and measure:
                for part in message.parts.values():
                    if part.accepted_plays and part.newest_accepted_at is not None:
                        outlet.accepted_plays += part.accepted_plays
                        outlet.accepted = max(outlet.accepted, parse_iso(part.newest_accepted_at))

    def flush(self, now: float | None = None) -> float | None:
        """Publish each changed outlet whose rate allows it now; seconds until the next may go.

        An outlet that is not spread has a leading-edge throttle: a change after a quiet interval goes
        out at once, one within the interval at its end. A spread outlet sends on its own fixed slots.
        Either way an outlet sends at most its rate and a change waits at most one interval. Outlets
        without clients are skipped (``join`` brings one up to date), but for the measured outlet.
        Returns None when nothing is held.
        """
        now = time.time() if now is None else now
        soonest: float | None = None
        for (region, window), stream in self.streams.items():
            for (rate_hz, group), outlet in stream.outlets.items():
                if not outlet.dirty:
                    continue
                key = (region, window, rate_hz, group)
                if not outlet.measured and not self.hub.subscribers.get(key):
                    continue
                wait = self._wait(key, outlet, now)
                if wait > 0:
                    outlet.held = True
                    soonest = wait if soonest is None else min(soonest, wait)
                    continue
                held, outlet.dirty, outlet.held, outlet.due = outlet.held, False, False, None
                if self._send(key, stream, outlet, now):
                    if phase_groups(rate_hz) > 1:
                        outlet.last = now
                    else:
                        self._throttle(rate_hz).fired(key, now, held=held)
        return soonest

    def join(self, region: str, window: str, rate_hz: float | None = None) -> tuple[OutletKey, LiveSnapshot]:
        """The outlet a new client of (region, window) at ``rate_hz`` (a class) joins, and its snapshot.

        The client goes to the phase group with the fewest clients. Call ``hub.subscribe`` with the key
        right after, before anything awaits, so the first update is the snapshot's seq + 1.
        """
        rate_hz = self.rate_hz if rate_hz is None else rate_hz
        groups = range(phase_groups(rate_hz))
        group = min(groups, key=lambda g: len(self.hub.subscribers.get((region, window, rate_hz, g), ())))
        key = (region, window, rate_hz, group)
        stream = self.streams[(region, window)]
        outlet = stream.outlets.get((rate_hz, group))
        if outlet is None:
            outlet = stream.outlets[(rate_hz, group)] = _Outlet(dirty=bool(stream.parts))
        if outlet.dirty and not self.hub.subscribers.get(key):
            # Not flushed while it had no clients (or, the measured outlet, not yet since the last
            # record): brought up to date now, outside its rate limit.
            outlet.dirty = outlet.held = False
            outlet.due = None
            self._send(key, stream, outlet, time.time())
        body = outlet.sent or self._merge(key, stream, time.time(), outlet.seq)
        # Already validated as an update: only the tag differs.
        return key, LiveSnapshot.model_construct(**{**dict(body), "type": "snapshot"})

    def snapshot(self, region: str, window: str) -> LiveSnapshot:
        """The current full snapshot of one stream at the default rate (an empty chart before the first)."""
        return self.join(region, window)[1]

    def _send(self, key: OutletKey, stream: _Stream, outlet: _Outlet, now: float) -> bool:
        """Merge, and publish unless the chart did not change; whether a frame went out.

        A frame of the measured outlet is observed once, as it is handed to the hub.
        """
        accepted, plays = outlet.accepted, outlet.accepted_plays
        outlet.accepted, outlet.accepted_plays = 0.0, 0
        body = self._merge(key, stream, now, outlet.seq + 1, outlet.sent)
        if outlet.sent is not None and _same_chart(body, outlet.sent):
            return False  # nothing pushed, nothing to measure
        outlet.seq, outlet.sent = body.seq, body
        self.hub.publish(key, body.seq, encode(body).decode())
        if plays:
            self.latency.observe(time.time() - accepted, plays)
        return True

    def _throttle(self, rate_hz: float) -> LeadingEdgeThrottle:
        throttle = self.throttles.get(rate_hz)
        if throttle is None:
            throttle = self.throttles[rate_hz] = LeadingEdgeThrottle(1.0 / rate_hz)
        return throttle

    def _wait(self, key: OutletKey, outlet: _Outlet, now: float) -> float:
        """Seconds until the outlet may send: its throttle's, or its next slot's when it is spread."""
        rate_hz, group = key[2], key[3]
        groups = phase_groups(rate_hz)
        if groups == 1:
            return self._throttle(rate_hz).wait(key, now)
        if outlet.due is None:
            # A new change waits for the group's next slot, even after a quiet spell (a leading edge
            # would send every group at once), and for the slot after the one it last sent on.
            interval = 1.0 / rate_hz
            phase = group * interval / groups
            due = phase + math.ceil((now - phase) / interval) * interval
            if outlet.last is not None:
                due = max(due, phase + (round((outlet.last - phase) / interval) + 1) * interval)
            outlet.due = due
        return max(0.0, outlet.due - now)

    def _merge(
        self, key: OutletKey, stream: _Stream, now: float, seq: int, sent: LiveUpdate | None = None
    ) -> LiveUpdate:
        candidates = [e for part in stream.parts.values() for e in part.entries]
        previous = sent.entries if sent else []
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
