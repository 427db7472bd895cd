"""devstack's Dex: only with DEVSTACK_OIDC=1, before dashboard-api and pointing it at itself; its
config file and generated passwords readable by their owner only, and the password grant works."""

from __future__ import annotations

import stat
from pathlib import Path

import yaml
from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.stack import components

from tests.signin import password_token, private_dex


def test_dex_runs_only_when_sign_in_is_asked_for(tmp_path: Path) -> None:
    assert "dex" not in [c.name for c in components(DevstackSettings(state_dir=tmp_path))]
    names = [c.name for c in components(DevstackSettings(state_dir=tmp_path, oidc=True, dex_port=5999))]
    assert names.index("dex") < names.index("dashboard-api")
    dashboard = next(
        c
        for c in components(DevstackSettings(state_dir=tmp_path, oidc=True, dex_port=5999))
        if c.name == "dashboard-api"
    )
    assert isinstance(dashboard, AppService)
    assert dashboard.env["DASHBOARD_OIDC_ISSUER"] == "http://127.0.0.1:5999/dex"
    assert dashboard.env["DASHBOARD_OIDC_OPERATOR_ROLE"] == "operators"


def test_dex_keeps_its_secrets_to_itself_and_signs_users_in(tmp_path: Path) -> None:
    with private_dex(tmp_path, origins=["http://127.0.0.1:8080"]) as dex:
        config = dex.dir / "config.yaml"
        password = dex.secrets_dir / "operator.password"
        assert [stat.S_IMODE(path.stat().st_mode) for path in (config, password)] == [0o600, 0o600]
        written = yaml.safe_load(config.read_text())
        assert password.read_text() not in config.read_text()
        assert written["web"]["http"].startswith("127.0.0.1:")
        assert [user["groups"] for user in written["staticPasswords"]] == [["operators"], []]
        assert password_token(dex, "operator").count(".") == 2
