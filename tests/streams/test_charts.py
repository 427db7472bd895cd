"""The worker's chart state without Faust: count plays into a ledger, publish partials and hour finals."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import orjson
from streams.charts import Counted, LiveCharts, Outgoing
from streams.ledger import Record, split_key
from streams.settings import StreamsSettings
from topsongs_core.events import PlayEvent
from topsongs_core.live import ChartPartials, HourFinal, LiveSettings
from topsongs_core.settings import ContractSettings, KafkaSettings
from topsongs_core.timefmt import iso_z

HOUR = 500_000  # an epoch hour, so every window below lies inside it
T0 = HOUR * 3600 + 30 * 60 + 15.0  # 30 min 15 s into that hour
REGIONS = ("US", "GB", "DE")


def settings() -> StreamsSettings:
    return StreamsSettings(
        kafka=KafkaSettings(plays_partitions=2),
        contract=ContractSettings(regions=REGIONS),
        live=LiveSettings(rolling_minutes=(5,), top_n=2),
        publish_rate_hz=4.0,
        republish_interval_s=5.0,
    )


def at(
    partition: int, offset: int, region: str, song: str, played: float, accepted: float | None = None
) -> Counted:
    """A play read from ``partition`` at ``offset``, Kafka's timestamp ``accepted`` (default: played)."""
    play = PlayEvent.model_validate(
        {
            "song_id": song,
            "title": f"Title {song}",
            "artist": "A",
            "user_id": "u-1",
            "region": region,
            "played_at": datetime.fromtimestamp(played, UTC),
        },
        context={"check_time": False},
    )
    return partition, offset, play, played if accepted is None else accepted


def decoded(records: list[Outgoing]) -> dict[bytes, dict[str, Any]]:
    """Records by key, values parsed and valid records of their contract (each key appears once)."""
    out = {key: orjson.loads(value) for key, value in records}
    for value in out.values():
        {"chart-partials": ChartPartials, "hour-final": HourFinal}[value["kind"]].model_validate(value)
    assert len(out) == len(records)
    return out


def entries(partial: dict[str, Any]) -> list[tuple[str, int]]:
    return [(e["song_id"], e["plays"]) for e in partial["entries"]]


def counted_charts() -> tuple[LiveCharts, dict[str, Record]]:
    """Partition 0 holds US s-1 ×3, s-2 ×2, s-3 ×1 and GB s-9 ×1; partition 1 holds US s-4 ×2."""
    ledger: dict[str, Record] = {}
    charts = LiveCharts(settings(), ledger)
    plays = [
        *(at(0, i, "US", "s-1", T0 - 10 - i) for i in range(3)),
        *(at(0, 3 + i, "US", "s-2", T0 - 20) for i in range(2)),
        at(0, 5, "US", "s-3", T0 - 30),
        at(0, 6, "GB", "s-9", T0 - 400),
        *(at(1, i, "US", "s-4", T0 - 5) for i in range(2)),
    ]
    assert charts.count(plays, T0) is True
    return charts, ledger


def hour_iso(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_batch_is_one_ledger_delta_per_partition_and_partials_carry_each_partitions_top_n() -> None:
    charts, ledger = counted_charts()
    assert sorted(split_key(k) for k in ledger) == [(0, "d", 0), (1, "d", 0)]

    published = decoded(charts.due_partials({0, 1}, T0))
    # The first publish is a full one: every region and window, every owned partition.
    assert sorted(published) == sorted(f"{r}|{w}".encode() for r in REGIONS for w in ("5m", "hour"))
    us = published[b"US|5m"]
    assert (us["kind"], us["region"], us["window"], us["partitions"]) == ("chart-partials", "US", "5m", 2)
    assert (us["window_start"], us["window_end"]) == (
        datetime.fromtimestamp((HOUR * 60 + 26) * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        datetime.fromtimestamp((HOUR * 60 + 31) * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert entries(us["parts"]["0"]) == [("s-1", 3), ("s-2", 2)]  # top_n = 2: s-3 is no candidate
    assert entries(us["parts"]["1"]) == [("s-4", 2)]
    assert us["parts"]["0"]["entries"][0]["title"] == "Title s-1"
    assert entries(published[b"GB|hour"]["parts"]["0"]) == [("s-9", 1)]
    assert entries(published[b"GB|5m"]["parts"]["0"]) == []  # played 400 s ago: in the hour, not the 5m
    nothing = {
        "late_dropped": 0,
        "entries": [],
        "plays": 0,
        "newest_play_at": None,
        "newest_accepted_at": None,
        "accepted_plays": 0,
    }
    assert published[b"DE|5m"]["parts"] == {p: nothing for p in ("0", "1")}
    # Every song's plays, not only the candidates', and the newest counted play of the region.
    assert (us["parts"]["0"]["plays"], us["parts"]["1"]["plays"]) == (6, 2)
    assert us["parts"]["1"]["newest_play_at"] == iso_z(T0 - 5, "seconds")
    gb = published[b"GB|5m"]["parts"]["0"]
    assert (gb["plays"], gb["newest_play_at"]) == (0, iso_z(T0 - 400, "seconds"))
    assert published[b"GB|hour"]["parts"]["0"]["plays"] == 1
    # What each partition counted since its previous record (none before): the same in every window.
    for window in ("5m", "hour"):
        us = published[f"US|{window}".encode()]
        shares = {p: (part["newest_accepted_at"], part["accepted_plays"]) for p, part in us["parts"].items()}
        assert shares == {"0": (iso_z(T0 - 10), 6), "1": (iso_z(T0 - 5), 2)}
    assert published[b"GB|5m"]["parts"]["0"]["accepted_plays"] == 1


def test_a_region_that_just_published_waits_for_its_throttle_interval() -> None:
    charts, _ = counted_charts()
    charts.due_partials({0, 1}, T0)
    # A new play of US within the interval: held back, no wake-up, published at the interval's end.
    assert charts.count([at(0, 7, "US", "s-3", T0 - 1)], T0 + 0.125) is False
    assert charts.due_partials({0, 1}, T0 + 0.125) == []
    assert charts.next_due(T0 + 0.125) == 0.125
    later = decoded(charts.due_partials({0, 1}, T0 + 0.25))
    assert sorted(later) == [b"US|5m", b"US|hour"]
    assert list(later[b"US|5m"]["parts"]) == ["0"]  # only the partition that changed
    assert entries(later[b"US|5m"]["parts"]["0"]) == [("s-1", 3), ("s-2", 2)]  # s-3 now 2: ties by id
    assert charts.next_due(T0 + 0.25) == 0.25  # nothing waits: one idle interval
    # After a quiet interval a change wakes the publisher and goes out at once (leading edge).
    assert charts.count([at(1, 2, "GB", "s-4", T0 - 1)], T0 + 1) is True
    assert sorted(decoded(charts.due_partials({0, 1}, T0 + 1))) == [b"GB|5m", b"GB|hour"]
    # Only the play counted since the previous record, with its Kafka timestamp (not its event time).
    charts.count([at(0, 8, "US", "s-3", T0 - 60, accepted=T0 + 1.1)], T0 + 1.1)
    again = decoded(charts.due_partials({0, 1}, T0 + 1.5))
    assert again[b"US|5m"]["parts"]["0"]["newest_accepted_at"] == iso_z(T0 + 1.1)
    assert again[b"US|hour"]["parts"]["0"]["accepted_plays"] == 1


def test_only_owned_partitions_are_published_and_every_region_is_republished_periodically() -> None:
    charts, _ = counted_charts()
    assert {tuple(v["parts"]) for v in decoded(charts.due_partials({1}, T0)).values()} == {("1",)}
    charts.count([at(0, 7, "GB", "s-9", T0), at(1, 2, "US", "s-4", T0)], T0 + 1)
    published = decoded(charts.due_partials({1}, T0 + 1))
    assert sorted(published) == [b"US|5m", b"US|hour"]  # GB changed on partition 0, owned elsewhere
    assert entries(published[b"US|5m"]["parts"]["1"]) == [("s-4", 3)]
    assert charts.due_partials({1}, T0 + 4.5) == []
    republished = decoded(charts.due_partials({0, 1}, T0 + 5))
    assert {v["region"] for v in republished.values()} == set(REGIONS)
    # Partition 0's GB play went out with this first record of it; partition 1 had nothing new.
    gb = republished[b"GB|5m"]["parts"]
    assert (gb["0"]["accepted_plays"], gb["1"]["accepted_plays"]) == (2, 0)
    assert gb["1"]["newest_accepted_at"] is None
    assert entries(republished[b"GB|hour"]["parts"]["0"]) == [("s-9", 2)]


def test_late_plays_are_dropped_counted_and_published_with_the_region() -> None:
    charts, _ = counted_charts()
    charts.due_partials({0, 1}, T0)
    lateness = settings().allowed_lateness.total_seconds()
    charts.count([at(1, 2, "GB", "s-8", T0 - 5 - lateness - 1)], T0 + 1)
    published = decoded(charts.due_partials({0, 1}, T0 + 1))
    assert sorted(published) == [b"GB|5m", b"GB|hour"]
    late = {
        "late_dropped": 1,
        "entries": [],
        "plays": 0,
        "newest_play_at": None,
        "newest_accepted_at": None,
        "accepted_plays": 0,
    }  # a late play is not counted
    assert published[b"GB|5m"]["parts"] == {"1": late}


def test_state_restored_from_the_ledger_publishes_the_same_charts() -> None:
    charts, ledger = counted_charts()
    restored = LiveCharts(settings(), dict(ledger))
    restored.restore(T0 + 1)
    before, after = (
        decoded(charts.due_partials({0, 1}, T0 + 1)),
        decoded(restored.due_partials({0, 1}, T0 + 1)),
    )
    # The newest play's time is not in the ledger: unknown after a restart until the next play;
    # what was counted since the previous record is not either (the board observes nothing for it).
    fresh = ("newest_play_at", "newest_accepted_at")
    assert {part[f] for v in after.values() for part in v["parts"].values() for f in fresh} == {None}
    assert {part["accepted_plays"] for v in after.values() for part in v["parts"].values()} == {0}
    unknown = {"newest_play_at": None, "newest_accepted_at": None, "accepted_plays": 0}

    def charted(published: dict[bytes, Any]) -> dict[bytes, Any]:
        return {k: {p: {**part, **unknown} for p, part in v["parts"].items()} for k, v in published.items()}

    assert charted(after) == charted(before)
    assert after[b"US|5m"]["parts"]["0"]["entries"]  # not two empty charts


def test_a_closed_hour_publishes_one_final_per_region_of_each_owned_partition() -> None:
    charts, ledger = counted_charts()
    closes = (HOUR + 1) * 3600 + settings().allowed_lateness.total_seconds()
    # The first close also covers the hour closed just before: zeros, nothing of it was counted.
    previous = decoded(charts.compact({0, 1}, closes - 1))
    assert sorted(previous) == sorted(
        f"{r}|{hour_iso(HOUR - 1)}|{p}".encode() for r in REGIONS for p in (0, 1)
    )
    assert {v["plays"] for v in previous.values()} == {0}
    finals = decoded(charts.compact({0, 1}, closes))
    hour = hour_iso(HOUR)
    assert sorted(finals) == sorted(f"{r}|{hour}|{p}".encode() for r in REGIONS for p in (0, 1))
    us0 = finals[f"US|{hour}|0".encode()]
    assert (us0["kind"], us0["partition"], us0["partitions"]) == ("hour-final", 0, 2)
    assert (us0["plays"], us0["late_dropped"], us0["top"]) == (
        6,
        0,
        [{"song_id": "s-1", "plays": 3}, {"song_id": "s-2", "plays": 2}],
    )
    assert finals[f"DE|{hour}|1".encode()]["plays"] == 0
    assert (0, "h", HOUR) in map(split_key, ledger) and (1, "h", HOUR) in map(split_key, ledger)
    assert charts.compact({0, 1}, closes + 10) == []  # published once


def test_under_continuous_change_a_region_publishes_exactly_at_the_rate() -> None:
    charts, _ = counted_charts()
    published = []
    for step in range(256):  # a US play every 1/64 s for 4 s, publishing whenever the publisher may
        now = T0 + step / 64
        charts.count([at(0, 100 + step, "US", "s-5", now)], now)
        if any(key == b"US|5m" for key, _ in charts.due_partials({0, 1}, now)):
            published.append(now)
    assert len(published) == 16
    assert all(b - a == 0.25 for a, b in itertools.pairwise(published))
