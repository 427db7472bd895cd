"""A private Dex (the real OpenID Connect provider devstack runs with DEVSTACK_OIDC=1) for the sign-in
tests, and tokens from it through its password grant."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
from dashboard_api.settings import DashboardSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.services.signin import CLIENT_ID, EMAIL_DOMAIN, OPERATOR_ROLE, Client, Dex

# A second client at the same provider: its tokens are genuine but meant for another application.
OTHER_CLIENT = "another-app"


@contextmanager
def private_dex(state_dir: Path, origins: Sequence[str] = (), token_lifetime: str = "1h") -> Iterator[Dex]:
    """Dex on a free port with its own state folder, the dashboard's client sending users back to
    ``origins``, and a second client; stopped afterwards."""
    settings = DevstackSettings(state_dir=state_dir, dex_port=free_port())
    dex = Dex(
        settings,
        clients=[
            Client(CLIENT_ID, tuple(f"{origin}/" for origin in origins)),
            Client(OTHER_CLIENT, ("http://127.0.0.1:9/",)),
        ],
        allowed_origins=origins,
        token_lifetime=token_lifetime,
    )
    dex.up()
    try:
        yield dex
    finally:
        dex.down()


def password_token(dex: Dex, user: str, client_id: str = CLIENT_ID) -> str:
    """An access token for ``user`` (operator or viewer) from Dex's password grant."""
    answer = httpx.post(
        f"{dex.issuer}/token",
        data={
            "grant_type": "password",
            "username": f"{user}@{EMAIL_DOMAIN}",
            "password": dex.password(user).get_secret_value(),
            "client_id": client_id,
            "scope": "openid email profile groups",
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def signed_in_settings(dex: Dex, **settings: object) -> DashboardSettings:
    """dashboard-api's settings with sign-in through ``dex`` and its operators group as the role."""
    return DashboardSettings(
        oidc_issuer=dex.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_operator_role=OPERATOR_ROLE,
        **settings,  # type: ignore[arg-type]
    )
