"""The Faust live-chart worker, run in the background by `make up` (healthy while it runs)."""

from __future__ import annotations

import sys

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import DevstackSettings


def service(settings: DevstackSettings) -> AppService:
    """One `python -m streams worker`; its table state is rebuilt from changelogs on start."""
    data_dir = settings.state_dir / "streams"
    return AppService(
        "streams",
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
    )
