"""Error bodies of dashboard-api, as the OpenAPI document declares them for every 4xx and 503."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid parameter."""

    loc: list[str | int] = Field(
        description='Where: ["query", "<parameter name>"]', examples=[["query", "region"]]
    )
    msg: str
    type: str
    input: Any = None


class ValidationProblem(BaseModel):
    """422: the request's parameters, each bad one named in ``detail[].loc``."""

    detail: list[FieldError]


class LiveOffline(BaseModel):
    """503 of the live endpoints while the live topic cannot be read; history answers meanwhile."""

    detail: str
    live: Literal["offline"] = "offline"


class HistoryBusyProblem(BaseModel):
    """503 of the history endpoints while PostgreSQL's sessions are all taken, or the query timed out."""

    detail: str


HISTORY_BUSY: dict[str, Any] = {
    "model": HistoryBusyProblem,
    "description": "PostgreSQL had no session free in time or the query ran too long; retry after "
    "`Retry-After` seconds",
}
LIVE_OFFLINE = "The live feed is offline (Kafka unreachable); retry after `Retry-After` seconds"
VALIDATION: dict[str, Any] = {
    "model": ValidationProblem,
    "description": "A query parameter is missing or invalid; `detail[].loc` names it",
}


def invalid(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 in FastAPI's usual shape for one query parameter."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


class Refused(BaseModel):
    """401 (no valid token) or 403 (signed in without the operator role), only while sign-in is on."""

    detail: str


SIGN_IN: dict[int | str, dict[str, Any]] = {
    401: {"model": Refused, "description": "Sign-in is on and the request has no valid bearer token"}
}
OPERATOR: dict[int | str, dict[str, Any]] = {
    **SIGN_IN,
    403: {"model": Refused, "description": "Sign-in is on and the user lacks the operator role"},
}
