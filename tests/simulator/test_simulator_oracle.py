"""The oracle against an independent brute-force count."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from simulator.catalog import Catalog
from simulator.faults import FaultConfig, inject_faults
from simulator.listening import ListeningConfig, ListeningModel, Play
from simulator.oracle import Oracle, top_ten

START = datetime(2025, 4, 23, 13, 52, 30, tzinfo=UTC)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _brute(
    plays: list[Play], catalog: Catalog, region: str, lo: datetime, hi: datetime
) -> list[tuple[str, int]]:
    unique = {p.event_id: p for p in plays}
    counts = Counter(
        catalog.songs[p.song].song_id
        for p in unique.values()
        if p.region == region and lo <= p.played_at < hi
    )
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:10]


def test_oracle_matches_brute_force(catalog: Catalog) -> None:
    model = ListeningModel(
        catalog, ListeningConfig(regions={"US": 1, "JP": 2}, rate=5.0, start=START, seed=11)
    )
    faults = FaultConfig(duplicate_rate=0.1, late_rate=0.1, malformed_rate=0.05)
    sends = list(itertools.islice(inject_faults(model.plays(), catalog, faults, 11), 40_000))
    oracle = Oracle(catalog)
    accepted = [s.play for s in sends if s.play is not None]
    for send in sends:
        if send.play is not None:
            oracle.add(send.play, late=send.kind == "late")
    expected = oracle.expected()
    assert set(expected) == {"US", "JP"}
    checked = 0
    for region, kinds in expected.items():
        for name, charts in kinds.items():
            assert charts, name
            for chart in charts:
                lo, hi = _parse(chart["window_start"]), _parse(chart["window_end"])
                want = _brute(accepted, catalog, region, lo, hi)
                got = [(e["song_id"], e["plays"]) for e in chart["entries"]]
                assert got == want, (region, name, chart["window_start"])
                assert [e["rank"] for e in chart["entries"]] == list(range(1, len(got) + 1))
                checked += 1
    assert checked > 100
    hour = expected["JP"]["hour"][0]
    assert hour["window_start"] == "2025-04-23T13:00:00.000Z"
    assert _parse(expected["JP"]["5m"][0]["window_end"]) - _parse(
        expected["JP"]["5m"][0]["window_start"]
    ) == timedelta(minutes=5)
    assert sum(c["late_plays"] for c in expected["JP"]["hour"]) > 0


def test_duplicates_count_once(catalog: Catalog) -> None:
    model = ListeningModel(catalog, ListeningConfig(regions={"US": 1}, rate=1.0, start=START))
    play = next(model.plays())
    oracle = Oracle(catalog)
    assert oracle.add(play) is True
    assert oracle.add(play) is False
    chart = oracle.expected()["US"]["5m"][0]
    assert chart["entries"][0]["plays"] == 1


def test_ties_break_on_song_id() -> None:
    assert top_ten({"s-0003": 2, "s-0001": 2, "s-0002": 5}) == [("s-0002", 5), ("s-0001", 2), ("s-0003", 2)]
