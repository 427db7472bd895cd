"""The Faust live-chart worker, run in the background by `make up` (healthy while it runs)."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings


def service(
    settings: DevstackSettings, *, name: str = "streams", env: Mapping[str, str] | None = None
) -> AppService:
    """One `python -m streams worker` with its data dir `<state_dir>/<name>`; its table state is
    rebuilt from changelogs on start. Workers sharing STREAMS_APP_ID share the partitions."""
    data_dir = settings.state_dir / name
    return AppService(
        name,
        [
            sys.executable,
            "-m",
            "streams",
            "--datadir",
            str(data_dir),
            "worker",
            "-l",
            "info",
            "--without-web",
        ],
        None,
        None,
        settings,
        endpoint="faust worker (python -m streams)",
        env=env,
    )
