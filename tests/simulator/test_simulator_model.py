"""The listening model and fault injection: reproducible, contract-conforming, realistic-ish."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.catalog import Catalog
from simulator.faults import FaultConfig, inject_faults
from simulator.listening import ListeningConfig, ListeningModel, activity
from topsongs_core.events import PlayEvent

START = datetime(2025, 4, 23, 14, 0, tzinfo=UTC)


def _plays(catalog: Catalog, n: int, **kw: Any) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"regions": {"US": 1, "GB": 1, "BR": 1}, "rate": 100.0}
    config = ListeningConfig(**(base | {"start": START, "seed": 7} | kw))
    model = ListeningModel(catalog, config)
    return [p.payload(catalog) for p in itertools.islice(model.plays(), n)]


def test_same_seed_same_events(catalog: Catalog) -> None:
    assert _plays(catalog, 3000) == _plays(catalog, 3000)


def test_other_seed_or_start_other_events(catalog: Catalog) -> None:
    base = _plays(catalog, 500)
    other_seed = _plays(catalog, 500, seed=8)
    assert [p["song_id"] for p in base] != [p["song_id"] for p in other_seed]
    later = _plays(catalog, 500, start=START + timedelta(days=1))
    assert not {p["event_id"] for p in base} & {p["event_id"] for p in later}


def test_events_follow_the_contract(catalog: Catalog) -> None:
    plays = _plays(catalog, 2000)
    now = START + timedelta(seconds=20)
    events = [PlayEvent.model_validate(p, context={"now": now}) for p in plays]
    assert {tuple(p) for p in plays} == {tuple(PlayEvent.model_fields)}  # every field, none left out
    assert len({e.event_id for e in events}) == len(events)
    assert events[0].played_at == START
    assert events[-1].played_at == START + timedelta(seconds=1999 / 100)
    assert {e.region for e in events} == {"US", "GB", "BR"}


def test_popularity_is_skewed_and_repeats_happen(catalog: Catalog) -> None:
    plays = _plays(catalog, 20_000, regions={"BR": 1.0}, spike_every_s=1e9)
    counts = Counter(p["song_id"] for p in plays).most_common()
    top10 = sum(n for _, n in counts[:10])
    assert top10 > 0.25 * len(plays)  # Zipf head
    assert len(counts) > 200  # and a long tail
    genres = {s.song_id: s.genre for s in catalog.songs}
    head_genres = Counter(genres[sid] for sid, _ in counts[:30])
    assert head_genres["Sertanejo"] >= 3  # regional taste
    per_user = Counter((p["user_id"], p["song_id"]) for p in plays)
    assert max(per_user.values()) > 1


def test_daily_cycle_follows_local_time(catalog: Catalog) -> None:
    assert activity(20) > activity(12) > activity(7)
    # 03:00 UTC is evening in JP and night in GB
    plays = _plays(catalog, 5000, regions={"JP": 1, "GB": 1}, start=datetime(2025, 4, 23, 11, 0, tzinfo=UTC))
    mix = Counter(p["region"] for p in plays)
    assert mix["JP"] > 1.5 * mix["GB"]


def test_trending_spike_lifts_a_song(catalog: Catalog) -> None:
    model = ListeningModel(
        catalog,
        ListeningConfig(
            regions={"US": 1}, rate=50.0, start=START, seed=3, spike_every_s=120.0, spike_len_s=(60.0, 60.0)
        ),
    )
    plays = list(itertools.islice(model.plays(), 50 * 600))
    spike = model.spikes[0]
    inside = [p for p in plays if spike.start_s + 1 <= p.index / 50 < spike.end_s]
    share = sum(p.song == spike.song for p in inside) / len(inside)
    assert share > 0.3


def test_faults_keep_plays_and_add_sends(catalog: Catalog) -> None:
    model = ListeningModel(catalog, ListeningConfig(regions={"US": 1}, rate=100.0, start=START))
    faults = FaultConfig(duplicate_rate=0.05, late_rate=0.05, malformed_rate=0.05)
    sends = list(itertools.islice(inject_faults(model.plays(), catalog, faults, 7), 5000))
    kinds = Counter(s.kind for s in sends)
    assert all(kinds[k] > 100 for k in ("duplicate", "late", "malformed", "play"))
    ids = Counter(s.event_id for s in sends if s.kind != "malformed")
    dup_ids = {s.event_id for s in sends if s.kind == "duplicate"}
    assert all(ids[i] >= 2 for i in dup_ids)
    for late in (s for s in sends if s.kind == "late"):
        assert late.play is not None
        assert START + timedelta(seconds=late.play.index / 100) - late.play.played_at >= timedelta(seconds=60)
    again = list(
        itertools.islice(
            inject_faults(ListeningModel(catalog, model.config).plays(), catalog, faults, 7), 5000
        )
    )
    assert [s.body for s in again] == [s.body for s in sends]
