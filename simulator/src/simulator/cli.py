"""Command line: ``simulator run`` sends live plays to ingest, ``simulator backfill`` past hours of them,
``simulator catalog`` manages songs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from collections.abc import Coroutine
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from topsongs_core.settings import ContractSettings, S3Settings

from simulator.backfill import BackfillOptions, backfill
from simulator.catalog import write_catalog
from simulator.catalog_llm import load_catalog
from simulator.faults import FaultConfig
from simulator.lake import upload_catalog
from simulator.report import RunStats
from simulator.sender import SendConfig
from simulator.settings import SimulatorSettings
from simulator.simulation import RunOptions, simulate

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "": 1}


def duration(text: str) -> float:
    """Parse ``90``, ``60s``, ``5m``, ``1h`` or ``250ms`` into seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"bad duration {text!r}; use e.g. 60s, 5m, 1h")
    return float(match[1]) * _UNITS[match[2]]


def region_mix(text: str) -> dict[str, float]:
    """Parse ``US,GB,BR`` (equal shares) or ``US:3,GB:1`` (weighted) into region weights."""
    known = ContractSettings().regions
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        code, _, weight = part.partition(":")
        code = code.upper()
        if code not in known:
            raise argparse.ArgumentTypeError(f"unknown region {code}; known: {','.join(known)}")
        try:
            mix[code] = float(weight) if weight else 1.0
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"bad weight in {part!r}") from exc
    if not mix or any(w <= 0 for w in mix.values()):
        raise argparse.ArgumentTypeError("give at least one region with a positive weight")
    return mix


def backfill_hours(text: str) -> int:
    """Hours to backfill: at least 1, and few enough that every play is inside ingest's horizon."""
    try:
        hours = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of hours") from exc
    horizon_h = int(ContractSettings().max_event_age.total_seconds() // 3600)
    # The window starts up to an hour before now - N h (at the top of the hour) and the send takes
    # a while; one more hour keeps the oldest play inside the horizon until ingest has it.
    most = horizon_h - 2
    if not 1 <= hours <= most:
        raise argparse.ArgumentTypeError(
            f"{hours} h is outside 1..{most}: ingest accepts played_at at most {horizon_h} h old "
            "(TOPSONGS_MAX_EVENT_AGE)"
        )
    return hours


def probability(text: str) -> float:
    """A probability in [0, 1)."""
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("must be in [0, 1)")
    return value


class _Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows defaults, except where there is none, and descriptions as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return action.help if action.default is None else super()._get_help_string(action)


_BACKFILL = """Send the previous N UTC hours of simulated listening to ingest (POST /plays), so history
has charts at once. The window is [start of the current UTC hour - N h, now - 1 min); each hour's
volume follows the daily curve of the listening model in each region's local time.

Reruns do not inflate history: an hour's plays depend only on the seed and the hour (and on
--plays-per-hour and --regions), never on when the backfill runs, and their event_ids are uuid5 of
(seed, hour, index). Running again, within the hour or a day later, re-sends the same event_ids for
every hour both runs cover; the batch side keeps each event_id once. With another --plays-per-hour
an hour's ids still share indexes, so it never holds more than the larger of both volumes."""


def _sending_options(cmd: argparse.ArgumentParser, settings: SimulatorSettings, concurrency: int) -> None:
    cmd.add_argument(
        "--regions",
        type=region_mix,
        default=None,
        help="region mix, e.g. US,GB,BR or US:3,GB:1 (default: every region)",
    )
    cmd.add_argument("--seed", type=int, default=7, help="random seed; same seed, same plays")
    cmd.add_argument("--ingest-url", default=settings.ingest_url, help="ingest base URL")
    cmd.add_argument(
        "--api-key-file",
        type=Path,
        default=None,
        help="file holding ingest's X-API-Key (default: SIMULATOR_INGEST_API_KEY, else the file "
        "SIMULATOR_INGEST_API_KEY_FILE names, else no key)",
    )
    cmd.add_argument("--concurrency", type=int, default=concurrency, help="requests in flight at most")
    cmd.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout in seconds")
    cmd.add_argument(
        "--max-retries",
        type=int,
        default=3,
        help="client retries (same event_id) on 429, 5xx and network errors, after the answer's "
        "Retry-After when it has one",
    )
    cmd.add_argument("--users-per-region", type=int, default=5000, help="simulated users each")
    cmd.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def parser(settings: SimulatorSettings) -> argparse.ArgumentParser:
    """The argument parser; every option is documented in ``--help``."""
    top = argparse.ArgumentParser(prog="simulator", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="send simulated plays to ingest", formatter_class=_Help)
    _sending_options(run, settings, concurrency=32)
    run.add_argument("--rate", type=float, default=100.0, help="target events per second")
    run.add_argument(
        "--duration",
        type=duration,
        default=None,
        help="how long to send (60s, 5m, 1h); 60s when neither this nor --count",
    )
    run.add_argument("--count", type=int, default=None, help="number of events to send")
    run.add_argument(
        "--start",
        type=datetime.fromisoformat,
        default=None,
        help="virtual start time (ISO 8601 with offset; default now); "
        "give it with --seed to reproduce a run exactly",
    )
    run.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="0 posts one event per POST /play; N>0 posts N per POST /plays",
    )
    run.add_argument(
        "--duplicate-rate",
        type=probability,
        default=0.0,
        help="share of plays re-sent later with the same event_id",
    )
    run.add_argument(
        "--without-ids-share",
        type=probability,
        default=0.0,
        help="share of requests sent without event_ids: ingest assigns them from the request's "
        "Idempotency-Key (the same on its retries) and the report lists them",
    )
    run.add_argument(
        "--late-rate",
        type=probability,
        default=0.0,
        help="share of plays whose played_at lies 1-8 minutes in the past",
    )
    run.add_argument(
        "--malformed-rate",
        type=probability,
        default=0.0,
        help="share of plays followed by an invalid payload (expect 422)",
    )
    run.add_argument("--spike-every", type=duration, default=240.0, help="mean time between trending spikes")
    run.add_argument(
        "--report",
        type=Path,
        default=Path("artifacts/simulator/report.json"),
        help="JSON file for accepted/rejected ids and expected top-10s",
    )
    run.add_argument(
        "--refresh-catalog",
        action="store_true",
        help="regenerate the LLM catalog instead of using its cache",
    )
    fill = sub.add_parser(
        "backfill",
        help="send the previous N hours of simulated plays to ingest",
        description=_BACKFILL,
        formatter_class=_Help,
    )
    fill.add_argument(
        "--hours", type=backfill_hours, default=24, help="whole UTC hours before the current one"
    )
    fill.add_argument(
        "--plays-per-hour",
        type=float,
        default=2000.0,
        help="plays in an average hour; evenings get more, nights fewer",
    )
    fill.add_argument("--rate", type=float, default=1000.0, help="plays sent per second")
    fill.add_argument("--batch-size", type=int, default=200, help="plays per POST /plays")
    fill.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="the time the window ends at (ISO 8601 with offset; default the clock), "
        "to reproduce a backfill; ingest only accepts the last 7 days",
    )
    _sending_options(fill, settings, concurrency=8)
    cat = sub.add_parser("catalog", help="show, regenerate or upload the song catalog", formatter_class=_Help)
    cat.add_argument(
        "--refresh",
        action="store_true",
        help="regenerate with the LLM (needs OPENAI_API_KEY) instead of the cache",
    )
    cat.add_argument(
        "--upload",
        action="store_true",
        help="write catalog/songs/songs.parquet to the lake bucket (S3_* settings)",
    )
    cat.add_argument("--output", type=Path, default=None, help="also write the catalog JSON here")
    return top


def _send_config(
    args: argparse.Namespace,
    settings: SimulatorSettings,
    duration_s: float | None = None,
    count: int | None = None,
) -> SendConfig:
    """How ``run`` and ``backfill`` talk to ingest; ``run`` also says how long or how many."""
    return SendConfig(
        ingest_url=args.ingest_url,
        api_key=settings.ingest_key(args.api_key_file),
        rate=args.rate,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        timeout_s=args.timeout,
        max_retries=args.max_retries,
        duration_s=duration_s,
        count=count,
    )


def _regions(args: argparse.Namespace) -> dict[str, float]:
    regions: dict[str, float] = args.regions or dict.fromkeys(ContractSettings().regions, 1.0)
    return regions


async def until_signalled(run: Coroutine[Any, Any, RunStats]) -> RunStats:
    """Await a run; SIGINT (Ctrl-C) or SIGTERM stops it, and it reports what it sent so far.

    Handled here rather than by asyncio's default Ctrl-C handling, which Python skips when the
    process starts with SIGINT ignored (as a background job of a shell does) and which leaves
    SIGTERM fatal: `kill` or a container stop then loses the report.
    """
    task = asyncio.ensure_future(run)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _run(args: argparse.Namespace, settings: SimulatorSettings, console: Console) -> int:
    catalog = load_catalog(settings, refresh=args.refresh_catalog)
    if args.duration is None and args.count is None:
        args.duration = 60.0
    opts = RunOptions(
        send=replace(
            _send_config(args, settings, duration_s=args.duration, count=args.count),
            without_ids_share=args.without_ids_share,
        ),
        regions=_regions(args),
        seed=args.seed,
        start=args.start,
        faults=FaultConfig(
            duplicate_rate=args.duplicate_rate,
            late_rate=args.late_rate,
            malformed_rate=args.malformed_rate,
        ),
        report_path=args.report,
        progress=not args.no_progress,
        users_per_region=args.users_per_region,
        spike_every_s=args.spike_every,
    )
    if opts.start is not None and opts.start.tzinfo is None:
        console.print("[red]--start needs a UTC offset, e.g. 2025-04-23T14:00:00+00:00")
        return 2
    stats = asyncio.run(until_signalled(simulate(catalog, opts, console)))
    if stats.interrupted:
        return 130
    return 0 if stats.sent_events else 1


def _backfill(args: argparse.Namespace, settings: SimulatorSettings, console: Console) -> int:
    if args.now is not None and args.now.tzinfo is None:
        console.print("[red]--now needs a UTC offset, e.g. 2025-04-23T14:00:00+00:00")
        return 2
    if args.batch_size < 1 or args.plays_per_hour <= 0 or args.rate <= 0:
        console.print("[red]--batch-size, --plays-per-hour and --rate must be positive")
        return 2
    opts = BackfillOptions(
        send=_send_config(args, settings),
        regions=_regions(args),
        hours=args.hours,
        plays_per_hour=args.plays_per_hour,
        seed=args.seed,
        now=args.now,
        progress=not args.no_progress,
        users_per_region=args.users_per_region,
    )
    stats = asyncio.run(until_signalled(backfill(load_catalog(settings), opts, console)))
    if stats.interrupted:
        return 130
    return 1 if stats.rejected else 0


def _catalog(args: argparse.Namespace, settings: SimulatorSettings, console: Console) -> int:
    catalog = load_catalog(settings, refresh=args.refresh)
    console.print(
        f"catalog ({catalog.source}): {len(catalog.songs)} songs, "
        f"{len(catalog.artists)} artists, {len(catalog.genres)} genres"
    )
    if args.output:
        write_catalog(catalog, args.output)
        console.print(f"wrote {args.output}")
    if args.upload:
        console.print(f"uploaded {upload_catalog(catalog, S3Settings())}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``simulator`` script."""
    console = Console(stderr=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request otherwise
    settings = SimulatorSettings()
    args = parser(settings).parse_args(argv)
    command = {"run": _run, "backfill": _backfill, "catalog": _catalog}[args.command]
    try:
        return command(args, settings, console)
    except KeyboardInterrupt:  # outside the send loop, which reports what it did before it stops
        console.print("stopped by Ctrl-C")
        return 130


if __name__ == "__main__":
    sys.exit(main())
