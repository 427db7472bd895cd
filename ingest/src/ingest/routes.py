"""`POST /play` and `POST /plays`: validate, publish, answer 202 only after Kafka acknowledged."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from topsongs_core.events import PlayEvent, json_schema

from ingest.body import read_json, reject, validate_event, validate_events
from ingest.metrics import ACCEPTED, IN_FLIGHT
from ingest.publisher import BrokerUnavailable, PlayPublisher
from ingest.settings import IngestSettings

router = APIRouter()
log = logging.getLogger("ingest")


class Accepted(BaseModel):
    """Answer to `POST /play`."""

    event_id: str


class AcceptedBatch(BaseModel):
    """Answer to `POST /plays`, ids in request order."""

    event_ids: list[str]


async def get_settings(request: Request) -> IngestSettings:
    """The settings the app was created with."""
    return request.state.settings


async def get_publisher(request: Request) -> PlayPublisher:
    """The shared producer opened by the lifespan."""
    return request.state.publisher


async def check_api_key(
    settings: Annotated[IngestSettings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> None:
    """When INGEST_API_KEY is set, requests must carry it in X-API-Key."""
    if settings.api_key is not None and x_api_key != settings.api_key.get_secret_value():
        raise reject(401, "unauthorized", "missing or wrong X-API-Key")


Settings = Annotated[IngestSettings, Depends(get_settings)]
Publisher = Annotated[PlayPublisher, Depends(get_publisher)]

_PLAY_BODY = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PlayEvent"}}}}
_BATCH_BODY = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["events"],
                "additionalProperties": False,
                "properties": {
                    "events": {"type": "array", "items": {"$ref": "#/components/schemas/PlayEvent"}}
                },
            }
        }
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "API key required"},
    413: {"description": "Body too large"},
    415: {"description": "Not application/json"},
    422: {"description": "Invalid event; `detail[].loc` names the field (and batch index)"},
    503: {"description": "Kafka did not acknowledge in time; retry after `Retry-After` seconds"},
}


async def _publish(publisher: PlayPublisher, settings: IngestSettings, events: list[PlayEvent]) -> None:
    IN_FLIGHT.inc()
    try:
        await publisher.publish(events)
    except BrokerUnavailable as exc:
        log.warning("answering 503: %s", exc)
        raise reject(
            503,
            "kafka_unavailable",
            "Kafka is unavailable; retry with the same event ids",
            headers={"Retry-After": str(settings.retry_after_s)},
        ) from exc
    finally:
        IN_FLIGHT.dec()
    ACCEPTED.inc(len(events))


@router.post(
    "/play",
    status_code=202,
    response_model=Accepted,
    dependencies=[Depends(check_api_key)],
    openapi_extra={"requestBody": _PLAY_BODY},
    responses=_ERRORS,
)
async def post_play(request: Request, settings: Settings, publisher: Publisher) -> Accepted:
    """Accept one play; 202 means it is durably in Kafka."""
    body = await read_json(request, settings.max_body_bytes)
    event = validate_event(body, settings.contract)
    await _publish(publisher, settings, [event])
    return Accepted(event_id=str(event.event_id))


@router.post(
    "/plays",
    status_code=202,
    response_model=AcceptedBatch,
    dependencies=[Depends(check_api_key)],
    openapi_extra={"requestBody": _BATCH_BODY},
    responses=_ERRORS,
)
async def post_plays(request: Request, settings: Settings, publisher: Publisher) -> AcceptedBatch:
    """Accept a batch atomically: all valid → all published; any invalid → 422, nothing published."""
    body = await read_json(request, settings.max_body_bytes)
    if not isinstance(body, dict) or set(body) != {"events"} or not isinstance(body["events"], list):
        raise RequestValidationError(
            [
                {
                    "type": "missing",
                    "loc": ("body", "events"),
                    "msg": 'expected {"events": [...]}',
                    "input": None,
                }
            ]
        )
    items = body["events"]
    if not items:
        raise RequestValidationError(
            [
                {
                    "type": "too_short",
                    "loc": ("body", "events"),
                    "msg": "at least one event",
                    "input": None,
                }
            ]
        )
    if len(items) > settings.max_batch_events:
        raise reject(413, "too_many_events", f"at most {settings.max_batch_events} events per batch")
    events = validate_events(items, settings.contract)
    await _publish(publisher, settings, events)
    return AcceptedBatch(event_ids=[str(e.event_id) for e in events])


@router.get("/schema/play-event.json", tags=["contract"])
async def play_event_schema() -> dict[str, Any]:
    """The JSON Schema of the play-event contract."""
    return json_schema()
