"""What a run did: counters during the run, the end summary and the JSON report."""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from simulator.oracle import WINDOWS, Oracle


@dataclass
class RunStats:
    """Counters filled in by the sender."""

    target_rate: float
    sent_events: int = 0
    elapsed_s: float = 0.0
    retries: int = 0
    retry_after_missing: int = 0  # retryable answers without a usable Retry-After
    malformed_accepted: int = 0
    interrupted: bool = False
    sent_by_kind: Counter[str] = field(default_factory=Counter)
    requests_by_status: Counter[str] = field(default_factory=Counter)
    retried_statuses: Counter[str] = field(default_factory=Counter)  # every retryable answer, by status
    events_by_status: Counter[str] = field(default_factory=Counter)
    latencies_s: array[float] = field(default_factory=lambda: array("d"))
    accepted: list[str] = field(default_factory=list)
    # Requests sent without event_ids (SendConfig.without_ids_share): their events, the ids ingest
    # answered for the accepted ones, and how many ids an answer changed from an earlier answer's.
    sent_without_ids: int = 0
    accepted_without_ids: list[str] = field(default_factory=list)
    ids_changed_on_retry: int = 0
    sent_with_ids: list[str] = field(default_factory=list)  # client ids of the other requests, as sent
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Events of requests still unanswered when an interrupted run stopped: ingest may hold them.
    unanswered: list[str | None] = field(default_factory=list)

    @property
    def accepted_count(self) -> int:
        """Events answered with 202 (a duplicate counts each time it is accepted)."""
        return self.events_by_status.get("202", 0)

    def summary(self) -> dict[str, Any]:
        """Achieved rate against the target, status counts and latency percentiles."""
        lat = np.frombuffer(self.latencies_s, dtype=np.float64) * 1000
        pcts = {
            f"p{p}": round(float(np.percentile(lat, p)), 2) if lat.size else None for p in (50, 90, 95, 99)
        }
        achieved = self.sent_events / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return {
            "target_rate": self.target_rate,
            "achieved_rate": round(achieved, 1),
            "rate_ratio": round(achieved / self.target_rate, 4) if self.target_rate else None,
            "elapsed_s": round(self.elapsed_s, 3),
            "interrupted": self.interrupted,
            "sent_events": self.sent_events,
            "accepted_events": self.accepted_count,
            "unique_accepted": len(set(self.accepted)),
            "sent_without_ids": self.sent_without_ids,
            "accepted_without_ids": len(self.accepted_without_ids),
            "ids_changed_on_retry": self.ids_changed_on_retry,
            "rejected_events": len(self.rejected),
            "unanswered_events": len(self.unanswered),
            "retries": self.retries,
            "retried_statuses": dict(self.retried_statuses),
            "retry_after_missing": self.retry_after_missing,
            "malformed_accepted": self.malformed_accepted,
            "sent_by_kind": dict(self.sent_by_kind),
            "requests_by_status": dict(self.requests_by_status),
            "events_by_status": dict(self.events_by_status),
            "latency_ms": pcts | {"max": round(float(lat.max()), 2) if lat.size else None},
            "requests": len(self.latencies_s),
        }


def write_report(
    path: Path,
    config: dict[str, Any],
    stats: RunStats,
    oracle: Oracle,
    spikes: list[dict[str, Any]],
) -> None:
    """Write the oracle file: config, summary, accepted/rejected ids and expected charts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "config": config,
        "summary": stats.summary(),
        "windows": WINDOWS,
        "tie_break": "plays desc, then song_id asc; each event_id counted once",
        "spikes": spikes,
        "accepted_event_ids": sorted(set(stats.accepted)),
        # Of those, the ids ingest assigned to plays sent without one; and every id a client sent
        # (answered or not), so a reader can tell the two classes apart in Kafka.
        "accepted_without_client_ids": sorted(set(stats.accepted_without_ids)),
        "sent_client_ids": sorted(set(stats.sent_with_ids)),
        "rejected": stats.rejected,
        "unanswered_event_ids": [i for i in stats.unanswered if i is not None],
        "expected_top10": oracle.expected(),
    }
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


def render_summary(console: Console, summary: dict[str, Any], title: str = "simulator run") -> None:
    """Print the end-of-run table."""
    if summary["interrupted"]:
        title += " (stopped by Ctrl-C: figures so far)"
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        (
            "rate (events/s)",
            f"{summary['achieved_rate']} achieved / {summary['target_rate']} "
            f"target ({summary['rate_ratio']:.1%})"
            if summary["rate_ratio"]
            else str(summary["achieved_rate"]),
        ),
        ("events sent", f"{summary['sent_events']} in {summary['elapsed_s']} s"),
        ("accepted (202)", f"{summary['accepted_events']} ({summary['unique_accepted']} unique)"),
        ("rejected", str(summary["rejected_events"])),
        ("unanswered (stopped)", str(summary["unanswered_events"])),
        ("by kind", ", ".join(f"{k}={v}" for k, v in sorted(summary["sent_by_kind"].items()))),
        (
            "events by status",
            ", ".join(f"{k}={v}" for k, v in sorted(summary["events_by_status"].items())),
        ),
        ("requests", f"{summary['requests']} ({summary['retries']} retries)"),
        (
            "retried answers",
            ", ".join(f"{k}={v}" for k, v in sorted(summary["retried_statuses"].items()))
            + f" ({summary['retry_after_missing']} without Retry-After)",
        ),
        ("latency ms", ", ".join(f"{k}={v}" for k, v in summary["latency_ms"].items())),
    ]
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)
