"""What ingest's OpenAPI document states beyond the routes: this deployment's regions, limits and errors."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field, StringConstraints
from topsongs_core.events import CONTROL_CHARACTERS, TEXT_FIELDS, PlayEvent
from topsongs_core.settings import ContractSettings

from ingest.settings import IngestSettings

# The Prometheus text format generate_latest() writes (legacy names); prometheus_client serves the
# same type to a scraper that asks for nothing newer.
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Problem(BaseModel):
    """A refused request: what is wrong, in words."""

    detail: str


class Unacknowledged(BaseModel):
    """Kafka did not acknowledge in time: the request's events may or may not be stored."""

    detail: str
    event_ids: list[str] = Field(
        description="The ids of the request's events, in request order: resend them with these ids"
    )


class FieldError(BaseModel):
    """One invalid part of the body; ``loc`` names it (``["body", "events", 3, "region"]``)."""

    type: str
    loc: list[str | int]
    msg: str
    input: Any = None


class InvalidRequest(BaseModel):
    """A body that is not valid JSON or breaks the contract: every error, each naming its field."""

    detail: list[FieldError]


class Readiness(BaseModel):
    """Whether the Kafka broker answers."""

    kafka: Literal["ok", "unreachable"]


# What pydantic's strip_whitespace removes (Unicode White_Space; tests/ingest check it still is).
# Not the regex class \s, which differs (U+001C-U+001F, U+FEFF).
STRIPPED = "\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"


def stripped_text_pattern(min_length: int, max_length: int) -> str:
    """A regex for text whose length once stripped of surrounding whitespace is within the bounds,
    holding no control character once stripped."""
    edge, space = f"[^{STRIPPED}{CONTROL_CHARACTERS}]", f"[{STRIPPED}]*"
    forms = [edge] if min_length <= 1 else []
    if max_length >= 2:
        forms.append(f"{edge}[^{CONTROL_CHARACTERS}]{{{max(min_length - 2, 0)},{max_length - 2}}}{edge}")
    return f"^{space}(?:{'|'.join(forms)}){'?' if min_length == 0 else ''}{space}$"


def play_event_schema(contract: ContractSettings) -> dict[str, Any]:
    """The PlayEvent JSON Schema as ingest applies it: this deployment's regions, stripped text."""
    schema = PlayEvent.model_json_schema(ref_template="#/components/schemas/{model}")
    properties = schema["properties"]
    region = properties["region"]
    region.pop("pattern", None)
    region["enum"] = list(contract.regions)
    for name, field in PlayEvent.model_fields.items():
        for rule in field.metadata:
            # minLength/maxLength would count the whitespace the model strips before checking them.
            if isinstance(rule, StringConstraints) and rule.strip_whitespace and rule.max_length:
                prop = properties[name]
                prop.pop("minLength", None)
                prop.pop("maxLength", None)
                prop["pattern"] = stripped_text_pattern(rule.min_length or 0, rule.max_length)
                rule_text = (
                    f"Surrounding whitespace is stripped; {rule.min_length or 0} to "
                    f"{rule.max_length} characters must remain."
                )
                prop["description"] = " ".join(filter(None, (prop.get("description"), rule_text)))
    no_controls = "No control character (U+0000-U+001F, U+007F-U+009F)."
    for name in TEXT_FIELDS:
        prop = properties[name]
        text = next((form for form in prop.get("anyOf", []) if form.get("type") == "string"), prop)
        text.setdefault("pattern", f"^[^{CONTROL_CHARACTERS}]*$")
        prop["description"] = " ".join(filter(None, (prop.get("description"), no_controls)))
    return schema


PLAY_BODY: dict[str, Any] = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PlayEvent"}}},
}


def batch_body(settings: IngestSettings) -> dict[str, Any]:
    """`POST /plays`'s body: 1 to ``INGEST_MAX_BATCH_EVENTS`` events."""
    return {
        "required": True,
        "description": f"At most {settings.max_body_bytes} bytes (INGEST_MAX_BODY_BYTES).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["events"],
                    "additionalProperties": False,
                    "properties": {
                        "events": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": settings.max_batch_events,
                            "items": {"$ref": "#/components/schemas/PlayEvent"},
                        }
                    },
                }
            }
        },
    }


def play_responses(settings: IngestSettings, *, batch: bool) -> dict[int | str, dict[str, Any]]:
    """Every answer of `POST /play` or `POST /plays` other than the 202."""
    too_large = f"The body exceeds {settings.max_body_bytes} bytes (INGEST_MAX_BODY_BYTES)"
    if batch:
        too_large += f", or holds more than {settings.max_batch_events} events (INGEST_MAX_BATCH_EVENTS)"
    responses: dict[int | str, dict[str, Any]] = {
        400: {"model": Problem, "description": "The client disconnected before the body was complete"},
        413: {"model": Problem, "description": too_large},
        415: {"model": Problem, "description": "Content-Type is not application/json"},
        422: {
            "model": InvalidRequest,
            "description": "Malformed JSON or an invalid event; `detail[].loc` names the field"
            + (" and the batch index; nothing of the batch is published" if batch else ""),
        },
        429: {
            "model": Problem,
            "description": (
                f"This client sent more than {settings.rate_limit_events_per_s:g} events/s "
                f"(INGEST_RATE_LIMIT_EVENTS_PER_S, bursts of {settings.rate_limit_burst}: "
                "INGEST_RATE_LIMIT_BURST); nothing of the request was published: retry after "
                "`Retry-After` seconds"
            ),
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the client's limit lets the request through",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        },
        503: {
            "model": Unacknowledged,
            "description": (
                f"Kafka did not acknowledge within {settings.produce_timeout_s:g} s "
                "(INGEST_PRODUCE_TIMEOUT_S); the events may still be stored: retry after `Retry-After` "
                "seconds with the `event_ids` of this answer (or the same body and `Idempotency-Key`)"
            ),
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait before retrying (INGEST_RETRY_AFTER_S)",
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        },
    }
    if settings.requires_key:
        responses[401] = {"model": Problem, "description": "X-API-Key is missing or wrong"}
    return responses


def publish_contract(app: FastAPI, settings: IngestSettings) -> None:
    """Add the PlayEvent schema (the routes read their bodies themselves) to the app's document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["PlayEvent"] = play_event_schema(settings.contract)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
