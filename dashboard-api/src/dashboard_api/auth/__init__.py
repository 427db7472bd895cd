"""Optional sign-in: `lifespan(settings)` yields the token verifier (None while sign-in is off), and
the dependencies below let a route ask for a signed-in user or for the operator role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from dashboard_api.auth.tokens import InvalidToken, ProviderUnavailable, TokenVerifier, User
from dashboard_api.settings import DashboardSettings

__all__ = ["SOCKET_PROTOCOL", "Operator", "SignedIn", "lifespan", "socket_user", "user_of"]

# The WebSocket API of browsers sets no headers: the token travels as the second of two offered
# subprotocols, `topsongs.bearer, <token>`, and the server accepts the first. A query parameter
# would end up in access logs and the browser's history; a subprotocol does not.
SOCKET_PROTOCOL = "topsongs.bearer"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dashboard-api"'}


@asynccontextmanager
async def lifespan(settings: DashboardSettings) -> AsyncIterator[dict[str, object]]:
    """The verifier and its HTTP client, or None when no issuer is configured."""
    if not settings.sign_in:
        yield {"auth": None}
        return
    async with httpx.AsyncClient(follow_redirects=False) as client:
        yield {"auth": TokenVerifier(settings, client)}


async def user_of(conn: HTTPConnection) -> User | None:
    """The signed-in user (None while sign-in is off); 401 without a valid token, 503 when the
    provider's keys cannot be read."""
    verifier: TokenVerifier | None = conn.state.auth
    if verifier is None:
        return None
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "sign-in required: send `Authorization: Bearer <token>`", CHALLENGE)
    try:
        return await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise HTTPException(401, str(exc), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    except ProviderUnavailable as exc:
        raise HTTPException(503, str(exc), {"Retry-After": "5"}) from None


async def operator_of(conn: HTTPConnection, user: Annotated[User | None, Depends(user_of)]) -> User | None:
    """The signed-in user when they hold the operator role (or no role is configured); else 403."""
    settings: DashboardSettings = conn.state.settings
    role = settings.oidc_operator_role
    if user is not None and role and role not in user.roles:
        raise HTTPException(403, f"{user.name} is signed in but lacks the operator role {role!r}")
    return user


async def socket_user(conn: HTTPConnection) -> tuple[User | None, str | None]:
    """For /ws/live: the user and an error to close with (None, None while sign-in is off)."""
    verifier: TokenVerifier | None = conn.state.auth
    if verifier is None:
        return None, None
    offered = conn.scope.get("subprotocols") or []
    if len(offered) != 2 or offered[0] != SOCKET_PROTOCOL:
        return None, f"sign-in required: offer the subprotocols {SOCKET_PROTOCOL}, <token>"
    try:
        return await verifier.verify(offered[1]), None
    except (InvalidToken, ProviderUnavailable) as exc:
        return None, str(exc)


SignedIn = Depends(user_of)
Operator = Depends(operator_of)
