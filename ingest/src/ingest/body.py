"""Reading and validating request bodies: size bounded while streaming, errors naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect
from topsongs_core.events import PlayEvent, control_characters
from topsongs_core.settings import ContractSettings

from ingest import metrics


def reject(status: int, reason: str, detail: Any, headers: dict[str, str] | None = None) -> HTTPException:
    """An HTTPException counted under ``reason`` in the rejection metric."""
    metrics.REJECTED.labels(reason).inc()
    return HTTPException(status_code=status, detail=detail, headers=headers)


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body; 415 for a non-JSON type or a compressed body, 413 past ``limit`` bytes."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise reject(415, "content_type", "Content-Type must be application/json")
    # Bodies are read as they come: a compressed one would otherwise fail later as malformed JSON.
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise reject(415, "content_type", "Content-Encoding must be identity (none)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise reject(413, "too_large", f"body exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise reject(413, "too_large", f"body exceeds {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:  # nobody is left to answer; nothing was published
        raise reject(400, "client_disconnected", "client disconnected mid-body") from exc
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        metrics.REJECTED.labels("malformed_json").inc()
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body",),
                    "msg": f"malformed JSON: {exc}",
                    "input": None,
                }
            ]
        ) from exc


_ONE = TypeAdapter(PlayEvent)
_MANY = TypeAdapter(list[PlayEvent])


def validate_event(item: Any, rules: ContractSettings) -> PlayEvent:
    """Validate one `POST /play` body; errors are located under ``body``."""
    try:
        event = _ONE.validate_python(item, context={"rules": rules, "now": datetime.now(UTC)})
    except ValidationError as exc:
        raise _invalid(exc, ("body",)) from exc
    if found := control_characters(event):
        raise _controls([(("body", name), value, at) for name, value, at in found])
    return event


def validate_events(items: list[Any], rules: ContractSettings) -> list[PlayEvent]:
    """Validate a batch in one pass; any invalid event rejects it, each bad index listed."""
    try:
        events = _MANY.validate_python(items, context={"rules": rules, "now": datetime.now(UTC)})
    except ValidationError as exc:
        raise _invalid(exc, ("body", "events")) from exc
    # A second, cheap pass (one C call per field): reported once the batch passes the model's rules.
    bad = [
        (("body", "events", index, name), value, at)
        for index, event in enumerate(events)
        for name, value, at in control_characters(event)
    ]
    if bad:
        raise _controls(bad)
    return events


def _invalid(exc: ValidationError, prefix: tuple[str, ...]) -> RequestValidationError:
    metrics.REJECTED.labels("invalid_event").inc()
    return RequestValidationError(
        [
            {**err, "loc": (*prefix, *err["loc"])}
            for err in exc.errors(include_url=False, include_context=False)
        ]
    )


def _controls(found: Sequence[tuple[tuple[str | int, ...], str, int]]) -> RequestValidationError:
    """A 422 naming each (location, value, position) of a control character."""
    metrics.REJECTED.labels("invalid_event").inc()
    return RequestValidationError(
        [
            {
                "type": "control_character",
                "loc": loc,
                "msg": f"control character U+{ord(value[at]):04X} at position {at}; text may hold none",
                "input": value,
            }
            for loc, value, at in found
        ]
    )
