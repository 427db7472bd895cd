"""devstack administers only its own PostgreSQL: one that answers on the port but was started from
another checkout (its socket is elsewhere) is named, not reached through a missing socket."""

from __future__ import annotations

from pathlib import Path

import pytest
from topsongs_core.settings import PostgresSettings
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.postgres import Postgres
from topsongs_devstack.process import PlatformError


def test_a_server_of_another_checkout_is_named_with_the_setting_to_change(
    pg_settings: PostgresSettings, tmp_path: Path
) -> None:
    elsewhere = Postgres(DevstackSettings(state_dir=tmp_path / "other-checkout"), pg_settings)
    with pytest.raises(PlatformError, match=rf"answers on {pg_settings.host}:{pg_settings.port}.*PG_PORT"):
        elsewhere.create_database("never_made")
    # The suite's own server is administered as before.
    Postgres(DevstackSettings(), pg_settings).drop_database("never_made")
