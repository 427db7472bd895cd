"""Run a worker: ``python -m streams --datadir DIR worker -l info``."""

from __future__ import annotations

import importlib.util
import os

# Faust spends most of each message in event-loop machinery (tasks, futures, call_soon); uvloop
# roughly halves that. Faust reads FAUST_LOOP when it is first imported, so this precedes it.
if importlib.util.find_spec("uvloop") is not None:
    os.environ.setdefault("FAUST_LOOP", "uvloop")

from streams.app import create_app
from streams.settings import StreamsSettings


def main() -> None:
    """Build the settings and the app once, then hand the command line to Faust."""
    create_app(StreamsSettings()).main()


if __name__ == "__main__":
    main()
