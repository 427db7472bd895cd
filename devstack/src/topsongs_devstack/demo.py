"""`make demo`: everything up, a day of past listening, a simulated live load, and the URLs to open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from topsongs_charts.lake_accounts import CATALOG
from topsongs_core.secret_settings import assume_laptop

from topsongs_devstack.cli import print_statuses
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.prometheus import Prometheus
from topsongs_devstack.secret_files import as_files
from topsongs_devstack.services import airflow
from topsongs_devstack.stack import components


def _simulator(*argv: str, env: dict[str, str] | None = None) -> int | None:
    """Run ``simulator <argv>`` (with ``env`` instead of this environment when given); None when
    Ctrl-C stopped it, else its exit code.

    The simulator runs in its own process group, so a Ctrl-C reaches it once, from here: a second
    SIGINT from the terminal would interrupt its clean stop (the report of what it sent so far).
    """
    proc = subprocess.Popen([sys.executable, "-m", "simulator.cli", *argv], process_group=0, env=env)
    interrupted = False
    try:
        while True:
            try:
                code = proc.wait()
            except KeyboardInterrupt:
                interrupted = True
                proc.send_signal(signal.SIGINT)
                continue
            return None if interrupted else code
    finally:
        if proc.poll() is None:  # we are being ended otherwise (SIGTERM, SIGHUP): take it along
            proc.terminate()


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    """Print every endpoint, backfill past hours, then run the live load until it ends or Ctrl-C."""
    # Python leaves SIGINT ignored when it starts ignored (a shell's background job): Ctrl-C or
    # `kill -INT` must still stop the load with its report, as the simulator's own commands do.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)
    assume_laptop()
    try:
        code = _demo(DevstackSettings())
    except KeyboardInterrupt:
        code = None
    if code is None:
        print("\nstopped the load; the platform keeps running (`make down` stops it).")
    return code or 0


def _publish_backfill(settings: DevstackSettings) -> None:
    """Once the lake holds the backfill, start the restatement at once rather than at its next tick."""
    waited = subprocess.run(
        [sys.executable, "-m", "topsongs_charts.progress", "--wait", "300"], capture_output=True, text=True
    )
    print(f"\n[demo] {waited.stdout.strip() or waited.stderr.strip()[-300:]}", flush=True)
    try:
        run = airflow.service(settings).trigger("plays_restatement")
    except Exception as exc:  # the demo goes on; the DAG's own schedule picks the hours up anyway
        print(f"[demo] could not trigger plays_restatement ({exc}); it runs every 5 minutes", flush=True)
        return
    print(
        f"[demo] restating the backfilled hours (Airflow run {run}); history fills within a few minutes",
        flush=True,
    )


def _demo(settings: DevstackSettings) -> int | None:
    print("\nTop Songs is running:")
    print_statuses([c.status() for c in components(settings)])
    # The ETL enriches plays from the catalog in the lake; upload it before any hour closes.
    # With the catalog's own S3 key, as the catalog step of `make up` (its secret as a file).
    key = {**os.environ, **lake_accounts(settings).env(CATALOG)}
    if _simulator("catalog", "--upload", env=as_files(key, settings.state_dir / "secrets" / "demo")) is None:
        return None
    print(
        f"\nOpen the dashboard: http://127.0.0.1:{settings.dashboard_port}/  "
        f"(history: http://127.0.0.1:{settings.dashboard_port}/#/history)"
    )
    print(
        f"Airflow: http://127.0.0.1:{settings.airflow_port}/  ingest API: "
        f"http://127.0.0.1:{settings.ingest_port}/docs"
    )
    print(
        f"Prometheus: {Prometheus(settings).url}/ (alerts: /alerts, docs/observability.md)  "
        f"Spark UI: http://127.0.0.1:{settings.spark_ui_port}/"
    )
    ingest = f"http://127.0.0.1:{settings.ingest_port}"
    # ingest runs with API keys under devstack; the simulator sends the key made for it.
    key_file = str(ingest_keys(settings).simulator_key)
    sending = ("--ingest-url", ingest, "--api-key-file", key_file, "--seed", "7")
    hours = os.environ.get("DEMO_BACKFILL_HOURS", "24").strip()
    if hours != "0":
        print(
            f"\nbackfilling the previous {hours} h of listening so the history view has charts "
            "(DEMO_BACKFILL_HOURS sets the hours, 0 skips this; a rerun re-sends the same plays, "
            "which history counts once)\n",
            flush=True,
        )
        code = _simulator("backfill", "--hours", hours, *sending)
        if code is None:
            return None
        if code:
            print(
                f"\nthe backfill did not get everything in (exit code {code}); starting the live load anyway"
            )
        threading.Thread(target=_publish_backfill, args=(settings,), daemon=True).start()
    rate = os.environ.get("DEMO_RATE", "200")
    duration = os.environ.get("DEMO_DURATION", "10m")
    print(
        f"\nsimulating {rate} plays/s for {duration} (DEMO_RATE / DEMO_DURATION change this); "
        "Ctrl-C stops the load, `make down` stops the platform.\n",
        flush=True,
    )
    return _simulator("run", "--rate", rate, "--duration", duration, *sending)


if __name__ == "__main__":
    sys.exit(main())
