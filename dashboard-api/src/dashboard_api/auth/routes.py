"""``GET /api/auth/config``: whether the UI must sign in, and where."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dashboard_api.deps import Settings

router = APIRouter(prefix="/api/auth", tags=["auth"])


class AuthConfig(BaseModel):
    """What the UI needs for the authorization-code flow with PKCE (nothing secret: a public client)."""

    enabled: bool = Field(description="False: no sign-in, every route answers without a token")
    issuer: str = Field(description="The OpenID Connect provider (its discovery document is under it)")
    client_id: str
    scopes: str = Field(description="Space-separated scopes the UI asks for")
    operator_role: str = Field(description="Role the operator pages need ('' when any user may see them)")


@router.get("/config")
async def auth_config(settings: Settings) -> AuthConfig:
    """Sign-in settings of this deployment; open to anyone, since the UI reads it before signing in."""
    return AuthConfig(
        enabled=settings.sign_in,
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        scopes=settings.oidc_scopes,
        operator_role=settings.oidc_operator_role if settings.sign_in else "",
    )
