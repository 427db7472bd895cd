"""Sign-in against a real Dex: every route of dashboard-api tried with no token, a viewer's and an
operator's (from Dex's password grant) against the policy table of docs/security.md; tokens that
are expired, meant for another client, unsigned, signed by another key or by another issuer are
refused with 401."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets.sync.client
from cryptography.hazmat.primitives.asymmetric import rsa
from dashboard_api.auth.tokens import roles_in
from dashboard_api.settings import DashboardSettings
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.services.signin import Dex
from websockets.exceptions import ConnectionClosed

from tests.devstack.test_exposure import policy
from tests.servers import serve_dashboard
from tests.signin import OTHER_CLIENT, password_token, private_dex, signed_in_settings

TABLE = "### dashboard-api with sign-in"
WHO = ("No token", "Viewer", "Operator")


@pytest.fixture(scope="module")
def dex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dex]:
    with private_dex(tmp_path_factory.mktemp("dex")) as provider:
        yield provider


@pytest.fixture(scope="module")
def tokens(dex: Dex) -> dict[str, str | None]:
    viewer, operator = password_token(dex, "viewer"), password_token(dex, "operator")
    return {"No token": None, "Viewer": viewer, "Operator": operator}


@pytest.fixture
async def api(
    dex: Dex, kafka_settings: KafkaSettings, pg_settings: PostgresSettings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = signed_in_settings(
        dex, port=free_port(), kafka=kafka_settings, postgres=pg_settings, ui_dist=tmp_path / "no-ui"
    )
    async with (
        serve_dashboard(settings) as address,
        httpx.AsyncClient(base_url=f"http://{address}", timeout=30) as client,
    ):
        yield client


def bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def outcome(status: int) -> str:
    return str(status) if status in (401, 403) or status >= 500 else "answers"


def socket_outcome(address: str, token: str | None) -> str:
    """``answers`` when /ws/live sends its snapshot (or, past the sign-in check, says the live feed
    is offline), ``401`` when it closes with 4401, else the close code."""
    protocols = None if token is None else ["topsongs.bearer", token]
    url = f"ws://{address}/ws/live?region=US&window=5m"
    with websockets.sync.client.connect(url, subprotocols=protocols, open_timeout=30) as socket:  # type: ignore[arg-type]
        try:
            socket.recv(timeout=30)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
            return {4401: "401", 4503: "answers"}.get(code or 0, f"closed {code}")
        return "answers"


async def test_every_route_answers_as_declared(api: httpx.AsyncClient, tokens: dict[str, str | None]) -> None:
    rows = policy(TABLE)
    operator = tokens["Operator"]
    documented = (await api.get("/openapi.json", headers=bearer(operator))).json()
    declared = {(row["Method"], row["Route"]) for row in rows}
    assert {("GET", path) for path in documented["paths"]} <= declared
    address = str(api.base_url).removeprefix("http://")
    got: dict[tuple[str, str, str], str] = {}
    for row in rows:
        for who in WHO:
            if row["Method"] == "WS":
                result = await asyncio.to_thread(socket_outcome, address, tokens[who])
            else:
                result = outcome((await api.get(row["Route"], headers=bearer(tokens[who]))).status_code)
            got[(row["Route"], row["Method"], who)] = result
    expected = {(row["Route"], row["Method"], who): row[who] for row in rows for who in WHO}
    assert {key: value for key, value in got.items() if value != expected[key]} == {}
    assert len(rows) >= 15


async def test_refusals_say_why(api: httpx.AsyncClient, tokens: dict[str, str | None]) -> None:
    missing = await api.get("/api/regions")
    assert missing.status_code == 401
    assert "Bearer" in missing.headers["www-authenticate"]
    assert "sign-in required" in missing.json()["detail"]
    viewer = await api.get("/api/pipeline", headers=bearer(tokens["Viewer"]))
    assert viewer.status_code == 403
    lacks = "viewer@topsongs.test is signed in but lacks the operator role 'operators'"
    assert viewer.json()["detail"] == lacks
    config = (await api.get("/api/auth/config")).json()
    assert config == {
        "enabled": True,
        "issuer": config["issuer"],
        "client_id": "topsongs-dashboard",
        "scopes": "openid profile email groups offline_access",
        "operator_role": "operators",
    }
    assert config["issuer"].startswith("http://127.0.0.1:")


def forged(token: str, header: dict[str, Any], signature: bytes = b"") -> str:
    """The token's own claims under another header, with ``signature`` (none by default)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = token.split(".")[1]
    return f"{part(json.dumps(header).encode())}.{claims}.{part(signature)}"


async def test_foreign_and_tampered_tokens_are_refused(
    api: httpx.AsyncClient, dex: Dex, tmp_path: Path, tokens: dict[str, str | None]
) -> None:
    genuine = tokens["Operator"]
    assert genuine is not None
    kid = jwt.get_unverified_header(genuine)["kid"]
    claims = jwt.decode(genuine, options={"verify_signature": False})
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with private_dex(tmp_path / "other-dex") as other_issuer:
        candidates = {
            "another client's": password_token(dex, "operator", OTHER_CLIENT),
            "another issuer's": password_token(other_issuer, "operator"),
        }
    candidates |= {
        "unsigned": forged(genuine, {"alg": "none", "kid": kid, "typ": "JWT"}),
        "HMAC-signed": jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": kid}),
        "signed by another key": jwt.encode(claims, own_key, algorithm="RS256", headers={"kid": kid}),
        "with a changed claim": ".".join(
            [
                genuine.split(".")[0],
                base64.urlsafe_b64encode(json.dumps({**claims, "groups": ["operators", "x"]}).encode())
                .rstrip(b"=")
                .decode(),
                genuine.split(".")[2],
            ]
        ),
        "not a JWT": "not-a-token",
    }
    answers = {
        what: (await api.get("/api/reconciliation", headers=bearer(token))).status_code
        for what, token in candidates.items()
    }
    assert answers == dict.fromkeys(candidates, 401)
    audience = await api.get("/api/regions", headers=bearer(candidates["another client's"]))
    assert "not meant for this API" in audience.json()["detail"]


async def test_an_expired_token_is_refused_and_ends_the_live_socket(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings, tmp_path: Path
) -> None:
    with private_dex(tmp_path, token_lifetime="8s") as short_lived:
        settings = signed_in_settings(
            short_lived, port=free_port(), kafka=kafka_settings, postgres=pg_settings, oidc_leeway_s=0
        )
        async with (
            serve_dashboard(settings) as address,
            httpx.AsyncClient(base_url=f"http://{address}") as api,
        ):
            for _ in range(120):  # the socket needs the live feed: wait for it before the clock starts
                if (await api.get("/readyz")).json()["live"] == "online":
                    break
                await asyncio.sleep(0.5)
            token = await asyncio.to_thread(password_token, short_lived, "viewer")
            assert (await api.get("/api/regions", headers=bearer(token))).status_code == 200
            closed = await asyncio.to_thread(close_code_of_socket, address, token)
            expired = await api.get("/api/regions", headers=bearer(token))
    assert closed == 4401
    assert (expired.status_code, expired.json()["detail"]) == (401, "the token has expired; sign in again")


def close_code_of_socket(address: str, token: str) -> int | None:
    """How /ws/live ends a socket opened with ``token`` (read until it closes, at most 60 s)."""
    url = f"ws://{address}/ws/live?region=US&window=5m"
    protocols = ["topsongs.bearer", token]
    with websockets.sync.client.connect(url, subprotocols=protocols, open_timeout=30) as socket:  # type: ignore[arg-type]
        assert socket.subprotocol == "topsongs.bearer"
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                socket.recv(timeout=deadline - time.monotonic())
        except ConnectionClosed as ended:
            return ended.rcvd.code if ended.rcvd is not None else None
    return None


def test_roles_are_read_at_a_dotted_claim_path() -> None:
    claims = {"groups": ["operators"], "realm_access": {"roles": ["ops", "view"]}, "role": "admin"}
    assert roles_in(claims, "groups") == {"operators"}
    assert roles_in(claims, "realm_access.roles") == {"ops", "view"}
    assert roles_in(claims, "role") == {"admin"}
    assert roles_in(claims, "missing.path") == frozenset()


def test_sign_in_needs_a_client_id() -> None:
    with pytest.raises(ValueError, match="DASHBOARD_OIDC_CLIENT_ID"):
        DashboardSettings(oidc_issuer="http://127.0.0.1:1/dex")
