"""The play-event contract: validation rules, encoding, and the committed JSON Schema."""

from __future__ import annotations

import re
import sys
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from pydantic import ValidationError
from topsongs_core.events import (
    CONTROL_CHARACTERS,
    PlayEvent,
    control_characters,
    decode,
    encode_many,
)
from topsongs_core.settings import ContractSettings

NOW = datetime(2025, 4, 23, 14, 30, tzinfo=UTC)


def _raw(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "song_id": "s-1",
        "title": "Song",
        "artist": "Band",
        "user_id": "u-1",
        "region": "US",
        "played_at": "2025-04-23T16:29:00+02:00",
    }
    return {**base, **over}


def _validate(raw: dict[str, object], rules: ContractSettings | None = None) -> PlayEvent:
    return PlayEvent.model_validate(raw, context={"now": NOW, "rules": rules or ContractSettings()})


def test_played_at_is_normalised_to_utc_and_encoded_with_z() -> None:
    event = _validate(_raw(event_id="7d7f4d2e-53f0-4bb4-9a43-0d4f5b8c8b11"))
    assert event.played_at == datetime(2025, 4, 23, 14, 29, tzinfo=UTC)
    decoded = orjson.loads(event.to_json())
    assert decoded["played_at"] == "2025-04-23T14:29:00Z"
    assert decoded["event_id"] == "7d7f4d2e-53f0-4bb4-9a43-0d4f5b8c8b11"
    assert decode(event.to_json()) == event


def test_encode_many_writes_the_bytes_encode_writes() -> None:
    events = [
        _validate(_raw(song_id=f"s-{i}", ms_played=i * 1000, device="web" if i % 2 else None))
        for i in range(5)
    ]
    events.append(_validate(_raw(played_at="2025-04-23T14:29:00.123456Z")))
    assert encode_many(events) == [event.to_json() for event in events]
    assert encode_many(()) == []


def test_event_id_is_assigned_when_missing() -> None:
    first, second = _validate(_raw()), _validate(_raw())
    assert isinstance(first.event_id, uuid.UUID) and first.event_id != second.event_id


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"region": "ZZ"}, "region"),
        ({"played_at": (NOW + timedelta(minutes=6)).isoformat()}, "played_at"),
        ({"played_at": (NOW - timedelta(days=8)).isoformat()}, "played_at"),
        ({"played_at": "2025-04-23T14:00:00"}, "played_at"),
        ({"song_id": ""}, "song_id"),
        ({"ms_played": -1}, "ms_played"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"surprise": 1}, "surprise"),
        ({"schema_version": 2}, "schema_version"),
        # What lax validation would coerce but the published schema forbids.
        ({"ms_played": "5"}, "ms_played"),
        ({"ms_played": True}, "ms_played"),
        ({"schema_version": True}, "schema_version"),
        ({"region": "uſ"}, "region"),
    ],
)
def test_invalid_fields_are_named(override: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _validate(_raw(**override))
    assert [e["loc"][0] for e in info.value.errors()] == [field]


def test_control_characters_are_unicodes_cc_and_named_with_their_position() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    found = re.findall(f"[{CONTROL_CHARACTERS}]", every)
    assert found == [char for char in every if unicodedata.category(char) == "Cc"]
    # control_characters skips the regex for printable values: no control character is one.
    assert not any(char.isprintable() for char in found)
    event = _validate(_raw(song_id="a\x00b", title="  Song\n", artist="x\x85y\x7f", device="ok\u00a0tv"))
    assert event.title == "Song"  # surrounding whitespace, controls included, is stripped first
    assert control_characters(event) == [("song_id", "a\x00b", 1), ("artist", "x\x85y\x7f", 1)]
    assert control_characters(_validate(_raw(title="Ünïcödé ©\u200d🎵", device="\u00a0"))) == []


def test_stored_events_with_control_characters_still_decode() -> None:
    # Admission refuses them (ingest); a play stored before the rule must still be counted.
    raw = orjson.dumps(_raw(title="a\x01b", played_at="2025-04-23T14:00:00Z"))
    assert decode(raw).title == "a\x01b"


def test_missing_field_is_named() -> None:
    raw = _raw()
    del raw["artist"]
    with pytest.raises(ValidationError) as info:
        _validate(raw)
    assert info.value.errors()[0]["loc"] == ("artist",)


def test_configured_regions_apply() -> None:
    rules = ContractSettings(regions=("NZ",))
    assert _validate(_raw(region="nz"), rules).region == "NZ"
    with pytest.raises(ValidationError):
        _validate(_raw(region="US"), rules)


def test_regions_parse_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPSONGS_REGIONS", "us, gb")
    assert ContractSettings().regions == ("US", "GB")


def test_kafka_key_groups_a_song_within_a_region() -> None:
    assert _validate(_raw()).kafka_key() == b"US|s-1"
