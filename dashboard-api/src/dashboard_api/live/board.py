"""Merges per-partition chart candidates into the exact global top N per (region, window)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dashboard_api.live.hub import FanoutHub, encode

StreamKey = tuple[str, str]


@dataclass
class _Stream:
    """The latest candidates of every partition for one (region, window), and what was last sent."""

    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    window: tuple[str, str] | None = None
    seq: int = 0
    sent: dict[str, Any] | None = None
    sent_at: float = float("-inf")
    dirty: bool = False
    held: bool = False


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _idle_window(window: str, now: float) -> tuple[str, str]:
    """The range an empty chart shows before any worker has published one."""
    minute = int(now // 60) * 60
    start = minute - minute % 3600 if window == "hour" else minute + 60 - int(window[:-1]) * 60
    end = start + 3600 if window == "hour" else minute + 60
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return datetime.fromtimestamp(start, UTC).strftime(fmt), datetime.fromtimestamp(end, UTC).strftime(fmt)


def rank_entries(
    candidates: list[dict[str, Any]], previous: list[dict[str, Any]], top_n: int
) -> list[dict[str, Any]]:
    """The top N of ``candidates`` (plays desc, song_id asc) with ``prev_rank`` and ``movement``."""
    best = sorted(candidates, key=lambda c: (-c["plays"], c["song_id"]))[:top_n]
    before = {e["song_id"]: e["rank"] for e in previous}
    entries = []
    for rank, c in enumerate(best, start=1):
        prev = before.get(c["song_id"])
        movement = "new" if prev is None else "up" if prev > rank else "down" if prev < rank else "same"
        entries.append(
            {
                "rank": rank,
                "song_id": c["song_id"],
                "title": c["title"],
                "artist": c["artist"],
                "plays": c["plays"],
                "prev_rank": prev,
                "movement": movement,
            }
        )
    return entries


class LiveBoard:
    """Latest snapshot and sequence number per (region, window); publishes changes to the hub."""

    def __init__(
        self, regions: tuple[str, ...], windows: tuple[str, ...], top_n: int, hub: FanoutHub, rate_hz: float
    ):
        self.top_n = top_n
        self.hub = hub
        self.interval = 1.0 / rate_hz
        self.streams: dict[StreamKey, _Stream] = {(r, w): _Stream() for r in regions for w in windows}

    def ingest(self, message: dict[str, Any]) -> None:
        """Take one ``chart-partials`` message from the live topic."""
        stream = self.streams.get((message.get("region", ""), message.get("window", "")))
        if message.get("kind") != "chart-partials" or stream is None:
            return
        window = (message["window_start"], message["window_end"])
        if stream.window is None or window[1] >= stream.window[1]:
            stream.window = window
        stream.parts.update(message["parts"])
        stream.dirty = True

    def flush(self, now: float | None = None) -> float | None:
        """Publish each changed stream sent at least an interval ago; seconds until the next may go.

        Leading edge: a change after a quiet interval goes out at once, one within the interval at its
        end, so a stream sends at most ``rate_hz`` messages a second and a change waits at most 1/rate.
        Returns None when no changed stream is held back.
        """
        now = time.time() if now is None else now
        wait: float | None = None
        for key, stream in self.streams.items():
            if not stream.dirty:
                continue
            due = stream.sent_at + self.interval
            if due > now:
                stream.held = True
                wait = due - now if wait is None else min(wait, due - now)
                continue
            # A held-back change goes out on the fixed grid (due, due + interval, ...): a late wake-up
            # must not push every later message back and so lower the rate.
            sent_at = due if stream.held and now - due < self.interval else now
            stream.dirty = stream.held = False
            body = self._merge(key, stream, now)
            sent = stream.sent
            if sent and all(
                body[f] == sent[f] for f in ("window_start", "window_end", "late_dropped", "entries")
            ):
                continue
            stream.seq += 1
            stream.sent, stream.sent_at = body, sent_at
            self.hub.publish(key, stream.seq, encode({"type": "update", "seq": stream.seq, **body}))
        return wait

    def _merge(self, key: StreamKey, stream: _Stream, now: float) -> dict[str, Any]:
        candidates = [e for part in stream.parts.values() for e in part["entries"]]
        previous = stream.sent["entries"] if stream.sent else []
        start, end = stream.window or _idle_window(key[1], now)
        return {
            "region": key[0],
            "window": key[1],
            "window_start": start,
            "window_end": end,
            "late_dropped": sum(part["late_dropped"] for part in stream.parts.values()),
            "generated_at": _iso(now),
            "entries": rank_entries(candidates, previous, self.top_n),
        }

    def snapshot(self, region: str, window: str) -> dict[str, Any]:
        """The current full snapshot of one stream (an empty chart before the first update)."""
        stream = self.streams[(region, window)]
        body = stream.sent or self._merge((region, window), _Stream(), time.time())
        return {"type": "snapshot", "seq": stream.seq, **body}
