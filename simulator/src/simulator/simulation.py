"""One simulator run: catalog -> listening model -> faults -> sender, with oracle and report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from simulator.catalog import Catalog
from simulator.faults import FaultConfig, inject_faults
from simulator.listening import ListeningConfig, ListeningModel, iso_z
from simulator.oracle import Oracle
from simulator.report import RunStats, render_summary, write_report
from simulator.sender import SendConfig, Sender


@dataclass(frozen=True)
class RunOptions:
    """Everything a run needs besides the catalog."""

    send: SendConfig
    regions: dict[str, float]
    seed: int = 7
    start: datetime | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    report_path: Path | None = None
    progress: bool = True
    users_per_region: int = 5000
    spike_every_s: float = 240.0


def build_model(catalog: Catalog, opts: RunOptions, start: datetime) -> ListeningModel:
    """The listening model for a run; plays per second leave room for injected extra sends."""
    return ListeningModel(
        catalog,
        ListeningConfig(
            regions=opts.regions,
            rate=opts.send.rate / (1 + opts.faults.overhead()),
            start=start,
            seed=opts.seed,
            users_per_region=opts.users_per_region,
            spike_every_s=opts.spike_every_s,
        ),
    )


async def simulate(catalog: Catalog, opts: RunOptions, console: Console | None = None) -> RunStats:
    """Run the simulation, write the report (if asked) and print the summary."""
    console = console or Console(stderr=True)
    start = opts.start or datetime.now(UTC).replace(microsecond=0)
    model = build_model(catalog, opts, start)
    outgoing = inject_faults(model.plays(), catalog, opts.faults, opts.seed)
    stats, oracle = RunStats(target_rate=opts.send.rate), Oracle(catalog)
    columns = (
        TextColumn("[bold]sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[accepted]}"),
    )
    with Progress(*columns, console=console, disable=not opts.progress) as progress:
        task = progress.add_task("send", total=opts.send.total(), accepted="")

        def advance(n: int) -> None:
            progress.update(task, advance=n, accepted=f"202: {stats.accepted_count}")

        await Sender(opts.send, stats, oracle, on_progress=advance).run_until_cancelled(outgoing)
    if opts.report_path is not None:
        write_report(opts.report_path, _config(opts, start, catalog), stats, oracle, _spikes(model, start))
    render_summary(console, stats.summary())
    if opts.report_path is not None:
        console.print(f"report: {opts.report_path}")
    return stats


def _spikes(model: ListeningModel, start: datetime) -> list[dict[str, Any]]:
    return [
        {
            "region": s.region,
            "song_id": model.catalog.songs[s.song].song_id,
            "start": iso_z(start + timedelta(seconds=s.start_s)),
            "end": iso_z(start + timedelta(seconds=s.end_s)),
        }
        for s in model.spikes
    ]


def _config(opts: RunOptions, start: datetime, catalog: Catalog) -> dict[str, Any]:
    return {
        "ingest_url": opts.send.ingest_url,
        "rate": opts.send.rate,
        "duration_s": opts.send.duration_s,
        "count": opts.send.count,
        "batch_size": opts.send.batch_size,
        "concurrency": opts.send.concurrency,
        "regions": opts.regions,
        "seed": opts.seed,
        "start": iso_z(start),
        "faults": asdict(opts.faults),
        "catalog": {"source": catalog.source, "songs": len(catalog.songs)},
    }
