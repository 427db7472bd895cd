"""Reading and validating request bodies: size bounded while streaming, errors naming the field."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from topsongs_core.events import PlayEvent
from topsongs_core.settings import ContractSettings

from ingest.metrics import REJECTED


def reject(status: int, reason: str, detail: Any, headers: dict[str, str] | None = None) -> HTTPException:
    """An HTTPException counted under ``reason`` in the rejection metric."""
    REJECTED.labels(reason).inc()
    return HTTPException(status_code=status, detail=detail, headers=headers)


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body; 415 for a non-JSON type, 413 once ``limit`` bytes are exceeded."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise reject(415, "content_type", "Content-Type must be application/json")
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
        REJECTED.labels("malformed_json").inc()
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


def validate_events(items: list[Any], rules: ContractSettings, loc: tuple[str | int, ...]) -> list[PlayEvent]:
    """Validate every item; any invalid one rejects the whole request with each bad index listed."""
    events: list[PlayEvent] = []
    errors: list[dict[str, Any]] = []
    context = {"rules": rules}
    for index, item in enumerate(items):
        try:
            events.append(PlayEvent.model_validate(item, context=context))
        except ValidationError as exc:
            where = (*loc, index) if len(items) > 1 or loc[-1] == "events" else loc
            for err in exc.errors(include_url=False, include_context=False):
                errors.append({**err, "loc": (*where, *err["loc"])})
    if errors:
        REJECTED.labels("invalid_event").inc()
        raise RequestValidationError(errors)
    return events
