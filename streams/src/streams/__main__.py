"""Run a worker: ``python -m streams worker -l info --data-dir DIR``."""

from __future__ import annotations

import streams.agents  # noqa: F401  (registers agents, tables and timers)
from streams.app import app

if __name__ == "__main__":
    app.main()
