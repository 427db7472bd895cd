"""`POST /play` and `POST /plays`: validate, publish, answer 202 only after Kafka acknowledged."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from topsongs_core.events import PlayEvent, json_schema
from topsongs_core.kafka_access import KafkaAccessError

from ingest import metrics
from ingest.api_keys import KeyRing
from ingest.body import read_json, reject, validate_event, validate_events
from ingest.idempotency import IdempotencyKey, with_stable_ids
from ingest.openapi import PLAY_BODY, Unacknowledged, batch_body, play_responses
from ingest.publisher import BrokerUnavailable, PlayPublisher
from ingest.rate_limit import ClientLimits
from ingest.settings import IngestSettings

log = logging.getLogger("ingest")


class Accepted(BaseModel):
    """Answer to `POST /play`."""

    event_id: str


class AcceptedBatch(BaseModel):
    """Answer to `POST /plays`, ids in request order."""

    event_ids: list[str]


class NotAcknowledged(Exception):
    """Kafka did not acknowledge in time; some events may still land, so the 503 names their ids."""

    def __init__(self, reason: str, detail: str, event_ids: list[str], retry_after_s: int) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail
        self.event_ids, self.retry_after_s = event_ids, retry_after_s

    def response(self) -> JSONResponse:
        """The 503 with `Retry-After` and the ids to resend, counted under its reason."""
        metrics.REJECTED.labels(self.reason).inc()
        return JSONResponse(
            Unacknowledged(detail=self.detail, event_ids=self.event_ids).model_dump(),
            status_code=503,
            headers={"Retry-After": str(self.retry_after_s)},
        )


async def get_settings(request: Request) -> IngestSettings:
    """The settings the app was created with."""
    return request.state.settings


async def get_publisher(request: Request) -> PlayPublisher:
    """The shared producer opened by the lifespan."""
    return request.state.publisher


Settings = Annotated[IngestSettings, Depends(get_settings)]
Publisher = Annotated[PlayPublisher, Depends(get_publisher)]

_API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A key of INGEST_API_KEYS_FILE, or INGEST_API_KEY"
)


async def check_api_key(request: Request, key: Annotated[str | None, Security(_API_KEY)]) -> None:
    """Requests must carry a valid key in X-API-Key; its name is kept for the request."""
    keys: KeyRing = request.state.api_keys
    name = keys.name_of(key)
    if name is None:
        raise reject(401, "unauthorized", "missing or wrong X-API-Key")
    request.state.client = name


def _client(request: Request) -> str:
    """The name of the API key the request was let in with ("" without keys)."""
    return str(getattr(request.state, "client", ""))


def _limited_client(request: Request) -> str:
    # Without keys the address stands for the client (behind a balancer: the balancer's).
    return _client(request) or f"address {request.client.host if request.client else '?'}"


def _not_exhausted(request: Request, settings: IngestSettings, most: int) -> None:
    """A client with no event left to send is refused before its body is read (a flood of refused
    batches then costs no parsing), told to wait until ``most`` events, its largest request, fit."""
    limits: ClientLimits = request.state.limits
    _refuse_after(settings, limits.exhausted(_limited_client(request), most))


def _within_limit(request: Request, settings: IngestSettings, events: int) -> None:
    """Count ``events`` against the client's rate limit, or refuse them all with a 429."""
    limits: ClientLimits = request.state.limits
    _refuse_after(settings, limits.retry_after(_limited_client(request), events))


def _refuse_after(settings: IngestSettings, wait: int) -> None:
    if wait:
        raise reject(
            429,
            "rate_limited",
            f"more than {settings.rate_limit_events_per_s:g} events/s "
            f"(INGEST_RATE_LIMIT_EVENTS_PER_S) from this client; retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )


async def _publish(publisher: PlayPublisher, settings: IngestSettings, events: list[PlayEvent]) -> None:
    metrics.IN_FLIGHT.inc()
    try:
        await publisher.publish(events)
    except (BrokerUnavailable, KafkaAccessError) as exc:
        # A refusal is a setting to fix, not an outage: logged louder; the client may still retry.
        refused = isinstance(exc, KafkaAccessError)
        log.log(logging.ERROR if refused else logging.WARNING, "answering 503: %s", exc)
        raise NotAcknowledged(
            "kafka_refused" if refused else "kafka_unavailable",
            (
                "Kafka refused ingest's credentials or topic (see its log)"
                if refused
                else "Kafka is unavailable"
            )
            + "; some events may have been stored: retry with the same event ids",
            [str(e.event_id) for e in events],
            settings.retry_after_s,
        ) from exc
    finally:
        metrics.IN_FLIGHT.dec()
    metrics.ACCEPTED.inc(len(events))


async def post_play(
    request: Request, settings: Settings, publisher: Publisher, key: IdempotencyKey = None
) -> Accepted:
    """Accept one play; 202 means it is durably in Kafka."""
    _not_exhausted(request, settings, 1)
    body = await read_json(request, settings.max_body_bytes)
    _within_limit(request, settings, 1)
    [event] = with_stable_ids([body], [validate_event(body, settings.contract)], key, _client(request))
    await _publish(publisher, settings, [event])
    return Accepted(event_id=str(event.event_id))


async def post_plays(
    request: Request, settings: Settings, publisher: Publisher, key: IdempotencyKey = None
) -> AcceptedBatch:
    """Accept a batch atomically: all valid → all published; any invalid → 422, nothing published."""
    _not_exhausted(request, settings, settings.max_batch_events)
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
    _within_limit(request, settings, len(items))
    events = with_stable_ids(items, validate_events(items, settings.contract), key, _client(request))
    await _publish(publisher, settings, events)
    return AcceptedBatch(event_ids=[str(e.event_id) for e in events])


async def play_event_schema() -> dict[str, Any]:
    """The JSON Schema of the play-event contract."""
    return json_schema()


def play_routes(settings: IngestSettings) -> APIRouter:
    """The play and contract routes, documented with this deployment's limits (and key, when set)."""
    auth = [Depends(check_api_key)] if settings.requires_key else []
    router = APIRouter()
    router.add_api_route(
        "/play",
        post_play,
        methods=["POST"],
        status_code=202,
        response_model=Accepted,
        dependencies=auth,
        openapi_extra={"requestBody": PLAY_BODY},
        responses={
            202: {"description": "Kafka acknowledged the event"},
            **play_responses(settings, batch=False),
        },
        tags=["plays"],
    )
    router.add_api_route(
        "/plays",
        post_plays,
        methods=["POST"],
        status_code=202,
        response_model=AcceptedBatch,
        dependencies=auth,
        openapi_extra={"requestBody": batch_body(settings)},
        responses={
            202: {"description": "Kafka acknowledged every event"},
            **play_responses(settings, batch=True),
        },
        tags=["plays"],
    )
    router.add_api_route("/schema/play-event.json", play_event_schema, methods=["GET"], tags=["contract"])
    return router
