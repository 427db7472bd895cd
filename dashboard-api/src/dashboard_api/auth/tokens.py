"""Checks a bearer token against the OpenID Connect provider's published keys (discovery + JWKS)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from dashboard_api.settings import DashboardSettings

# Asymmetric algorithms only: "none" and the HMAC family (a key the client also holds) never pass.
DISCOVERY = ".well-known/openid-configuration"
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")


class InvalidToken(Exception):
    """The token is missing, malformed, unsigned, expired or not meant for this API (401)."""


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be read (503: nobody can be checked)."""


@dataclass(frozen=True)
class User:
    """Who a valid token names, and the roles it carries."""

    subject: str
    name: str
    roles: frozenset[str]
    expires_at: float


class TokenVerifier:
    """Signature, ``iss``, ``aud``, ``exp``, ``nbf`` and ``iat`` of tokens the provider signed.

    The discovery document and the keys are read on first use, not at start-up: dashboard-api serves
    its health and metrics while the provider is down. Keys are cached for ``oidc_jwks_cache_s`` and
    re-read at once when a token names a key id not seen before (the provider rotated its keys).
    """

    def __init__(self, settings: DashboardSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience or settings.oidc_client_id
        self._jwks_uri: str | None = None
        self._keys: dict[str, jwt.PyJWK] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> User:
        """The user a token names; raises InvalidToken or ProviderUnavailable."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"not a signed JWT: {exc}") from None
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name] if key.algorithm_name in ALGORITHMS else list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.settings.oidc_leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired; sign in again") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not meant for this API (audience {self.audience!r})") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken(f"the token was not issued by {self.issuer}") from None
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        return User(
            subject=str(claims["sub"]),
            name=str(claims.get("email") or claims.get("preferred_username") or claims["sub"]),
            roles=roles_in(claims, self.settings.oidc_roles_claim),
            expires_at=float(claims["exp"]),
        )

    async def _key(self, kid: str) -> jwt.PyJWK:
        now = time.monotonic()
        if now - self._read_at > self.settings.oidc_jwks_cache_s:
            await self._refresh(now)
        if kid not in self._keys and now - self._read_at >= self.settings.oidc_jwks_min_refresh_s:
            await self._refresh(now)
        if kid in self._keys:
            return self._keys[kid]
        if not kid and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        raise InvalidToken(f"the token's key id {kid!r} is not one of the provider's keys")

    async def _refresh(self, asked_at: float) -> None:
        async with self._lock:
            if self._read_at >= asked_at:
                return  # another request re-read them while this one waited
            try:
                if self._jwks_uri is None:
                    discovery = await self._get_json(f"{self.issuer.rstrip('/')}/{DISCOVERY}")
                    if discovery.get("issuer") != self.issuer:
                        raise ProviderUnavailable(
                            f"the provider calls itself {discovery.get('issuer')!r}, not {self.issuer!r}"
                        )
                    self._jwks_uri = str(discovery["jwks_uri"])
                keys = jwt.PyJWKSet.from_dict(await self._get_json(self._jwks_uri))
            except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWKSetError) as exc:
                raise ProviderUnavailable(f"the sign-in provider's keys could not be read: {exc}") from None
            self._keys = {key.key_id or "": key for key in keys.keys}
            self._read_at = time.monotonic()

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self.client.get(url, timeout=self.settings.oidc_timeout_s)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body


def roles_in(claims: dict[str, Any], path: str) -> frozenset[str]:
    """The roles at a dotted claim path: a list of names, or one name (``realm_access.roles``)."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return frozenset([value])
    if isinstance(value, list):
        return frozenset(str(item) for item in value)
    return frozenset()
