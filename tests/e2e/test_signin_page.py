"""Dashboard sign-in in Chromium with a real Dex: its login page, back to the live board signed in,
the pipeline page refused to a viewer and shown to an operator (the authorization code with PKCE),
and the token renewed in place with the refresh token before it expires."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from topsongs_core.settings import KafkaSettings
from topsongs_devstack.process import free_port

from tests.e2e.conftest import ARTIFACTS
from tests.scraping import dead_address
from tests.servers import serve_dashboard
from tests.signin import private_dex, signed_in_settings


async def test_sign_in_through_the_provider(
    kafka_settings: KafkaSettings, tmp_path: Path, browser_check: Any
) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    # Short-lived tokens: the UI renews 30 s before expiry, so the first renewal comes ~10 s in.
    lifetime_s = 40
    with private_dex(tmp_path / "dex", origins=[origin], token_lifetime=f"{lifetime_s}s") as dex:
        settings = signed_in_settings(
            dex,
            port=port,
            allowed_origins=(origin,),
            kafka=kafka_settings,
            prometheus_url=f"http://{dead_address()}",
            oidc_leeway_s=0,
        )
        assert (settings.ui_dist / "index.html").exists(), "run `make setup-ui` (npm run build) first"
        async with serve_dashboard(settings):
            check = await browser_check(
                "sign-in.mjs",
                origin,
                dex.password("viewer").get_secret_value(),
                dex.password("operator").get_secret_value(),
                str(ARTIFACTS / "sign-in.png"),
                str(lifetime_s),
            )
    assert check.returncode == 0, check.stdout
