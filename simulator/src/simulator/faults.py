"""Fault injection: turns plays into what is actually sent (duplicates, late and malformed ones)."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

import numpy as np

from simulator.catalog import Catalog
from simulator.listening import Play

Kind = Literal["play", "late", "duplicate", "malformed"]
_MALFORMED = ("missing_song_id", "unknown_region", "bad_time", "negative_ms", "not_json")


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities per play of each injected fault (all off by default)."""

    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    malformed_rate: float = 0.0
    # within streams' allowed lateness (10 min), so live and batch charts both count them
    late_min_s: float = 60.0
    late_max_s: float = 480.0
    duplicate_gap: int = 50

    def overhead(self) -> float:
        """Expected extra sends per play (duplicates and malformed payloads)."""
        return self.duplicate_rate + self.malformed_rate


@dataclass(slots=True)
class Outgoing:
    """One event as it goes on the wire; ``play`` is None for malformed payloads."""

    kind: Kind
    event_id: str | None
    body: dict[str, Any] | bytes
    play: Play | None


def _malformed(rng: np.random.Generator, template: dict[str, Any]) -> Outgoing:
    flavour = _MALFORMED[int(rng.integers(len(_MALFORMED)))]
    event_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
    body = template | {"event_id": event_id}
    if flavour == "not_json":
        return Outgoing("malformed", None, b'{"song_id": "s-0001", "region": ', None)
    if flavour == "missing_song_id":
        del body["song_id"]
    elif flavour == "unknown_region":
        body["region"] = "ZZ"
    elif flavour == "bad_time":
        body["played_at"] = "yesterday at noon"
    else:
        body["ms_played"] = -5
    return Outgoing("malformed", event_id, body, None)


def inject_faults(
    plays: Iterator[Play], catalog: Catalog, faults: FaultConfig, seed: int
) -> Iterator[Outgoing]:
    """Wrap plays with faults drawn from their own random stream (plays stay identical)."""
    rng = np.random.default_rng([seed, 0xFA017])
    pending: list[tuple[int, int, Outgoing]] = []  # (due index, tiebreak, resend)
    serial = 0
    for play in plays:
        while pending and pending[0][0] <= play.index:
            yield heapq.heappop(pending)[2]
        kind: Kind = "play"
        if faults.late_rate and rng.random() < faults.late_rate:
            lag = rng.uniform(faults.late_min_s, faults.late_max_s)
            play = replace(play, played_at=play.played_at - timedelta(seconds=float(lag)))
            kind = "late"
        body = play.payload(catalog)
        yield Outgoing(kind, play.event_id, body, play)
        if faults.duplicate_rate and rng.random() < faults.duplicate_rate:
            due = play.index + 1 + int(rng.integers(faults.duplicate_gap))
            serial += 1
            heapq.heappush(pending, (due, serial, Outgoing("duplicate", play.event_id, body, play)))
        if faults.malformed_rate and rng.random() < faults.malformed_rate:
            yield _malformed(rng, body)
