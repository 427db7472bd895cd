"""The play-event contract: one model shared by ingest, streams, spark and the simulator."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from topsongs_core.settings import ContractSettings

SCHEMA_VERSION: Literal[1] = 1

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
Ident = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]

# Unicode's control characters (category Cc: C0, DEL, C1), as a regex class. Ingest refuses them in
# the text fields, after surrounding whitespace is stripped (control_characters); stored events are
# read back without the check, like the time horizon, so a play admitted before the rule still decodes.
CONTROL_CHARACTERS = "\\u0000-\\u001f\\u007f-\\u009f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
TEXT_FIELDS = ("song_id", "title", "artist", "user_id", "device")


class PlayEvent(BaseModel):
    """One song play, as sent by a client and as stored in Kafka and the lake."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(
        default_factory=uuid.uuid4,
        description="Idempotency key; assigned by ingest when the client sends none.",
    )
    song_id: Ident
    title: Text
    artist: Text
    user_id: Ident
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="Region code from the configured set (TOPSONGS_REGIONS)."
    )
    played_at: AwareDatetime = Field(description="Event time, ISO 8601 with offset; stored as UTC.")
    ms_played: int | None = Field(default=None, ge=0, le=24 * 3600 * 1000)
    device: Annotated[str, StringConstraints(max_length=64)] | None = None
    schema_version: Literal[1] = 1

    @field_validator("ms_played", "schema_version", mode="before")
    @classmethod
    def _json_integer(cls, value: Any) -> Any:
        # Lax mode would take "5" and true for an integer; the published schema does not.
        if isinstance(value, bool | str):
            raise ValueError("must be a JSON integer")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _known_region(cls, value: Any, info: ValidationInfo) -> Any:
        rules = _rules(info)
        # ASCII only: str.upper() maps e.g. "ſ" to "S", which would let "uſ" through as US.
        if isinstance(value, str) and (not value.isascii() or value.upper() not in rules.regions):
            raise ValueError(f"unknown region {value!r}; expected one of {','.join(rules.regions)}")
        return value.upper() if isinstance(value, str) else value

    @field_validator("played_at")
    @classmethod
    def _plausible_time(cls, value: datetime, info: ValidationInfo) -> datetime:
        try:
            value = value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00-12:00, whose UTC time is in year 10000
            raise ValueError("played_at in UTC is outside the years 1-9999") from None
        ctx = info.context or {}
        if ctx.get("check_time") is False:  # replaying stored events: the horizon applied at ingest
            return value
        rules = _rules(info)
        now = ctx.get("now") or datetime.now(UTC)
        if value > now + rules.max_future_skew:
            raise ValueError(f"played_at is more than {_human(rules.max_future_skew)} in the future")
        if value < now - rules.max_event_age:
            raise ValueError(f"played_at is older than the horizon of {_human(rules.max_event_age)}")
        return value

    def kafka_key(self) -> bytes:
        """Partition key: every play of one song in one region lands on one partition."""
        return f"{self.region}|{self.song_id}".encode()

    def to_json(self) -> bytes:
        """The exact bytes written to Kafka."""
        return encode(self)


def control_characters(event: PlayEvent) -> list[tuple[str, str, int]]:
    """The text fields of ``event`` holding a control character: name, value and first position."""
    # isprintable() is false for every control character and true for almost every real value: one
    # C call per field on the hot path, the regex only for the rare value it cannot clear.
    if (
        event.song_id.isprintable()
        and event.title.isprintable()
        and event.artist.isprintable()
        and event.user_id.isprintable()
        and (event.device is None or event.device.isprintable())
    ):
        return []
    found = []
    for name in TEXT_FIELDS:
        value = getattr(event, name)
        hit = _CONTROL.search(value) if value is not None else None
        if hit:
            found.append((name, value, hit.start()))
    return found


def _human(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} seconds"


def _rules(info: ValidationInfo) -> ContractSettings:
    ctx = info.context or {}
    rules = ctx.get("rules")
    return rules if isinstance(rules, ContractSettings) else default_rules()


@cache
def default_rules() -> ContractSettings:
    """The rules from the environment, read on first use (never at import time) and then kept."""
    return ContractSettings()


def encode(event: PlayEvent) -> bytes:
    """Serialize with orjson: UUID as string, timestamps as UTC with a ``Z`` suffix."""
    return orjson.dumps(event.model_dump(), option=orjson.OPT_UTC_Z)


def encode_many(events: Sequence[PlayEvent]) -> list[bytes]:
    """``[encode(e) for e in events]`` with one serializer call for the whole list (ingest's batches)."""
    return [orjson.dumps(fields, option=orjson.OPT_UTC_Z) for fields in _EVENTS.dump_python(list(events))]


def decode(raw: bytes | str, rules: ContractSettings | None = None) -> PlayEvent:
    """Parse and validate bytes from Kafka (raises ``pydantic.ValidationError``)."""
    return PlayEvent.model_validate(
        orjson.loads(raw), context={"rules": rules or default_rules(), "check_time": False}
    )


_EVENTS: TypeAdapter[list[PlayEvent]] = TypeAdapter(list[PlayEvent])


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the contract."""
    schema = PlayEvent.model_json_schema()
    schema["title"] = "PlayEvent"
    return schema
