"""The listening model: regional users, Zipf popularity, daily cycles, spikes, sessions, repeats."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from topsongs_core.timefmt import iso_z

from simulator.catalog import Catalog

# Standard-time UTC offsets (hours); a fixed table keeps runs reproducible on any machine.
UTC_OFFSETS = {
    "US": -5,
    "GB": 0,
    "DE": 1,
    "FR": 1,
    "BR": -3,
    "MX": -6,
    "JP": 9,
    "KR": 9,
    "IN": 5.5,
    "AU": 10,
}
DEVICES = ("ios", "android", "web", "desktop", "smart-speaker")
_ID_BASE = uuid.UUID("4f2b7d2e-8a51-4c38-9a0e-5b1c3e7f6a90")


@dataclass(frozen=True)
class ListeningConfig:
    """Knobs of the model; everything it produces is a function of these and the catalog."""

    regions: dict[str, float]
    rate: float
    start: datetime
    seed: int = 7
    users_per_region: int = 5000
    sessions_per_region: int = 64
    zipf_s: float = 0.9
    home_boost: float = 2.0
    repeat_prob: float = 0.2
    mean_session: float = 8.0
    skip_prob: float = 0.25
    spike_every_s: float = 240.0
    spike_boost: float = 60.0
    spike_len_s: tuple[float, float] = (60.0, 600.0)
    # None: every draw comes from ``seed``. A number: popularity still comes from ``seed`` (one
    # world), but plays and event ids from (seed, stream), so separately generated pieces of that
    # world (the backfill's hours) neither repeat each other nor depend on which other pieces exist.
    stream: int | None = None


@dataclass(slots=True)
class Play:
    """One generated play; ``offset_s`` is its virtual time since the start of the run."""

    index: int
    event_id: str
    song: int
    user_id: str
    region: str
    played_at: datetime
    ms_played: int
    device: str

    def payload(self, catalog: Catalog) -> dict[str, Any]:
        """The PlayEvent JSON object for this play."""
        song = catalog.songs[self.song]
        return {
            "event_id": self.event_id,
            "song_id": song.song_id,
            "title": song.title,
            "artist": song.artist,
            "user_id": self.user_id,
            "region": self.region,
            "played_at": iso_z(self.played_at),
            "ms_played": self.ms_played,
            "device": self.device,
            "schema_version": 1,
        }


@dataclass(frozen=True)
class Spike:
    """A song trending in one region for a while."""

    region: str
    song: int
    start_s: float
    end_s: float


@dataclass(slots=True)
class _Session:
    user_id: str
    left: int
    history: list[int] = field(default_factory=list)


def activity(local_hour: float) -> float:
    """Relative listening activity over a day: quiet before dawn, busiest in the evening."""
    return 0.6 + 0.4 * math.cos(2 * math.pi * (local_hour - 19.5) / 24)


class ListeningModel:
    """Generates a reproducible stream of plays for one seed, start time and rate."""

    def __init__(self, catalog: Catalog, config: ListeningConfig) -> None:
        if config.rate <= 0 or not config.regions:
            raise ValueError("rate must be > 0 and at least one region is needed")
        self.catalog = catalog
        self.config = config
        self.regions = list(config.regions)
        self.spikes: list[Spike] = []
        self._rng = np.random.default_rng(config.seed)
        ids = f"{config.seed}|{iso_z(config.start)}"
        n = len(catalog.songs)
        rank = self._rng.permutation(n)
        if config.stream is not None:
            self._rng = np.random.default_rng([config.seed, config.stream])
            ids += f"|{config.stream}"
        self._ids = uuid.uuid5(_ID_BASE, ids)
        base = 1.0 / (rank + 1.0) ** config.zipf_s
        homes = {a.name: a.home_region for a in catalog.artists}
        self._base = {
            r: base
            * np.array(
                [
                    catalog.taste(r, s.genre) * (config.home_boost if homes.get(s.artist) == r else 1)
                    for s in catalog.songs
                ]
            )
            for r in self.regions
        }
        users = 1.0 / np.arange(1, config.users_per_region + 1) ** 0.8
        self._user_cdf = np.cumsum(users) / users.sum()
        self._sessions: dict[str, list[_Session]] = {r: [] for r in self.regions}
        self._cdf: dict[str, np.ndarray] = {}
        self._next_spike = float(self._rng.exponential(config.spike_every_s))

    def _region_cdf(self, t: float) -> np.ndarray:
        now = self.config.start + timedelta(seconds=t)
        hour = now.hour + now.minute / 60
        w = np.array(
            [self.config.regions[r] * activity((hour + UTC_OFFSETS.get(r, 0)) % 24) for r in self.regions]
        )
        return np.cumsum(w) / w.sum()

    def _refresh_songs(self, t: float) -> None:
        cfg = self.config
        while self._next_spike <= t:
            lo, hi = cfg.spike_len_s
            start = self._next_spike
            self.spikes.append(
                Spike(
                    region=self.regions[int(self._rng.integers(len(self.regions)))],
                    song=int(self._rng.integers(len(self.catalog.songs))),
                    start_s=start,
                    end_s=start + float(self._rng.uniform(lo, hi)),
                )
            )
            self._next_spike = start + float(self._rng.exponential(cfg.spike_every_s))
        for r in self.regions:
            w = self._base[r].copy()
            peak = w.max()
            for spike in self.spikes:
                if spike.region == r and spike.start_s <= t < spike.end_s:
                    w[spike.song] += cfg.spike_boost * peak
            self._cdf[r] = np.cumsum(w) / w.sum()

    def _session(self, region: str, u: float) -> _Session:
        cfg = self.config
        live = self._sessions[region]
        if len(live) < cfg.sessions_per_region:
            user = int(np.searchsorted(self._user_cdf, u))
            left = 1 + int(self._rng.geometric(1 / cfg.mean_session))
            session = _Session(f"u-{region}-{user:05d}", left)
            live.append(session)
            return session
        return live[int(u * len(live)) % len(live)]

    def plays(self) -> Iterator[Play]:
        """Plays at virtual times ``start + i / rate``, forever (slice what you need)."""
        cfg, rng = self.config, self._rng
        chunk = max(1, min(int(cfg.rate), 2000))
        durations = [s.duration_ms for s in self.catalog.songs]
        index = 0
        while True:
            t0 = index / cfg.rate
            self._refresh_songs(t0)
            region_idx = np.searchsorted(self._region_cdf(t0), rng.random(chunk))
            picks = {r: np.searchsorted(self._cdf[r], rng.random(chunk)) for r in self.regions}
            draws = rng.random((chunk, 4)).tolist()
            devices = rng.integers(len(DEVICES), size=chunk).tolist()
            for k in range(chunk):
                region = self.regions[min(int(region_idx[k]), len(self.regions) - 1)]
                u_session, u_repeat, u_skip, u_pick = draws[k]
                session = self._session(region, u_session)
                if session.history and u_repeat < cfg.repeat_prob:
                    song = session.history[int(u_pick * len(session.history))]
                else:
                    song = min(int(picks[region][k]), len(durations) - 1)
                session.history.append(song)
                session.left -= 1
                if session.left <= 0:
                    self._sessions[region].remove(session)
                full = durations[song]
                ms = int(full * u_skip / cfg.skip_prob) if u_skip < cfg.skip_prob else full
                yield Play(
                    index=index,
                    event_id=str(uuid.uuid5(self._ids, str(index))),
                    song=song,
                    user_id=session.user_id,
                    region=region,
                    played_at=cfg.start + timedelta(seconds=index / cfg.rate),
                    ms_played=ms,
                    device=DEVICES[devices[k]],
                )
                index += 1
