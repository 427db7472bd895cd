"""`make demo`: everything up, a simulated listening load, and the URLs to open."""

from __future__ import annotations

import os
import subprocess
import sys

from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.stack import components


def main() -> int:
    """Print every endpoint, then run the simulator against ingest until it finishes or Ctrl-C."""
    settings = DevstackSettings()
    print("\nTop Songs is running:")
    for status in (c.status() for c in components(settings)):
        print(f"  {status.name:<10} {'healthy' if status.healthy else 'DOWN':<8} {status.endpoint}")
    # The ETL enriches plays from the catalog in the lake; upload it before any hour closes.
    subprocess.call([sys.executable, "-m", "simulator.cli", "catalog", "--upload"])
    print(
        f"\nOpen the dashboard: http://127.0.0.1:{settings.dashboard_port}/  "
        f"(history: http://127.0.0.1:{settings.dashboard_port}/#/history)"
    )
    print(
        f"Airflow: http://127.0.0.1:{settings.airflow_port}/  ingest API: "
        f"http://127.0.0.1:{settings.ingest_port}/docs"
    )
    rate = os.environ.get("DEMO_RATE", "200")
    duration = os.environ.get("DEMO_DURATION", "10m")
    argv = [
        sys.executable,
        "-m",
        "simulator.cli",
        "run",
        "--rate",
        rate,
        "--duration",
        duration,
        "--ingest-url",
        f"http://127.0.0.1:{settings.ingest_port}",
        "--seed",
        "7",
    ]
    print(
        f"\nsimulating {rate} plays/s for {duration} (DEMO_RATE / DEMO_DURATION change this); "
        "Ctrl-C stops the load, `make down` stops the platform.\n",
        flush=True,
    )
    try:
        return subprocess.call(argv)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
