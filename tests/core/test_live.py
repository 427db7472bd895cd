"""The live messages: byte-exact round trips, loud failures on renamed fields, the shared settings."""

from __future__ import annotations

import orjson
import pytest
from pydantic import ValidationError
from topsongs_core.live import (
    LIVE_MESSAGE,
    Candidate,
    ChartPartials,
    HourFinal,
    LiveEntry,
    LiveHeartbeat,
    LiveSettings,
    LiveUpdate,
    PartitionCandidates,
    SongPlays,
    decode_hour_final,
    decode_partials,
    encode,
)

SONG = Candidate(song_id="s", title="Ü", artist="a", plays=4)
PARTIALS = {
    "kind": "chart-partials",
    "region": "US",
    "window": "5m",
    "window_start": "2027-01-15T08:00:00Z",
    "window_end": "2027-01-15T08:05:00Z",
    "generated_at": "2027-01-15T08:04:00.250Z",
    "partitions": 2,
    "parts": {
        "1": {
            "late_dropped": 3,
            "entries": [{"song_id": "s", "title": "Ü", "artist": "a", "plays": 4}],
            "plays": 7,
            "newest_play_at": "2027-01-15T08:03:59Z",
            "newest_accepted_at": "2027-01-15T08:03:59.120Z",
            "accepted_plays": 2,
        }
    },
}


def test_partials_decode_and_encode_to_the_same_bytes() -> None:
    raw = orjson.dumps(PARTIALS)
    record = decode_partials(raw)
    assert record.parts["1"].entries == [SONG]
    assert encode(record) == raw


def test_typed_construction_writes_the_wire_format() -> None:
    record = ChartPartials(
        region="US",
        window="5m",
        window_start="2027-01-15T08:00:00Z",
        window_end="2027-01-15T08:05:00Z",
        generated_at="2027-01-15T08:04:00.250Z",
        partitions=2,
        parts={
            "1": PartitionCandidates(
                late_dropped=3,
                entries=[SONG],
                plays=7,
                newest_play_at="2027-01-15T08:03:59Z",
                newest_accepted_at="2027-01-15T08:03:59.120Z",
                accepted_plays=2,
            )
        },
    )
    assert encode(record) == orjson.dumps(PARTIALS)


def test_partials_of_a_worker_without_plays_and_newest_play_still_decode() -> None:
    part = {"late_dropped": 3, "entries": [{"song_id": "s", "title": "Ü", "artist": "a", "plays": 4}]}
    record = decode_partials(orjson.dumps({**PARTIALS, "parts": {"1": part}}))
    part_of = record.parts["1"]
    assert (part_of.plays, part_of.newest_play_at, part_of.newest_accepted_at, part_of.accepted_plays) == (
        0,
        None,
        None,
        0,
    )


def test_hour_final_round_trip() -> None:
    final = HourFinal(
        region="GB",
        hour="2027-01-15T08:00:00Z",
        partition=0,
        partitions=6,
        plays=9,
        late_dropped=1,
        top=[SongPlays(song_id="s-1", plays=9)],
        generated_at="2027-01-15T09:10:00.000Z",
    )
    assert decode_hour_final(encode(final)) == final
    assert orjson.loads(encode(final))["kind"] == "hour-final"


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "hour-final"},
        {"window_end": "2027-01-15 08:05"},
        {"partitions": 0},
        {"songs": []},
    ],
)
def test_a_record_that_breaks_the_contract_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        decode_partials(orjson.dumps({**PARTIALS, **change}))


def test_websocket_frames_are_told_apart_by_type() -> None:
    entry = LiveEntry(rank=1, song_id="s", title="t", artist="a", plays=2, prev_rank=None, movement="new")
    update = LiveUpdate(
        seq=4,
        region="US",
        window="hour",
        window_start="2027-01-15T08:00:00Z",
        window_end="2027-01-15T09:00:00Z",
        late_dropped=0,
        plays=2,
        newest_play_at="2027-01-15T08:03:58Z",
        generated_at="2027-01-15T08:04:00.000Z",
        entries=[entry],
    )
    assert list(orjson.loads(encode(update)))[:2] == ["type", "seq"]
    assert LIVE_MESSAGE.validate_json(encode(update)) == update
    assert LIVE_MESSAGE.validate_json(b'{"type":"heartbeat","seq":4}') == LiveHeartbeat(seq=4)


def test_live_settings_are_read_from_live_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_TOP_N", "3")
    monkeypatch.setenv("LIVE_ROLLING_MINUTES", "1, 15")
    settings = LiveSettings()
    assert (settings.top_n, settings.window_names) == (3, ("1m", "15m", "hour"))
    monkeypatch.setenv("LIVE_ROLLING_MINUTES", "[10]")
    assert LiveSettings().window_names == ("10m", "hour")
    monkeypatch.setenv("LIVE_ROLLING_MINUTES", "0")
    with pytest.raises(ValidationError):
        LiveSettings()
