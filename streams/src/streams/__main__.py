"""Run a worker: ``python -m streams worker -l info --data-dir DIR``."""

from __future__ import annotations

import importlib.util
import os

# Faust spends most of each message in event-loop machinery (tasks, futures, call_soon); uvloop
# roughly halves that. Faust reads FAUST_LOOP when it is first imported, so this precedes it.
if importlib.util.find_spec("uvloop") is not None:
    os.environ.setdefault("FAUST_LOOP", "uvloop")

import streams.agents  # noqa: F401  (registers agents, tables and timers)
from streams.app import app

if __name__ == "__main__":
    app.main()
