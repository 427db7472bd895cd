"""The reconciliation rules: one region-hour's live final against its batch load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dashboard_api.reconciliation.live_hours import LiveFinal


@dataclass(frozen=True)
class BatchHour:
    """What the hourly load wrote for one region-hour (plays 0 and no top when it had none)."""

    plays: int
    top: list[dict[str, Any]]


def reconcile(hour: datetime, live: LiveFinal | None, batch: BatchHour | None) -> dict[str, Any]:
    """One hour of ``GET /api/reconciliation``; ``pending`` until both sides are final.

    ``agree``: totals and top lists identical and no late drops. ``explained``: batch has exactly the
    plays live dropped as late. ``unexplained``: anything else (a bug on one side).
    """
    body: dict[str, Any] = {
        "hour": hour,
        "status": "pending",
        "live_plays": live.plays if live else None,
        "batch_plays": batch.plays if batch else None,
        "difference": None,
        "late_dropped": live.late_dropped if live else None,
        "unexplained": None,
        "live_top": live.top if live else [],
        "batch_top": batch.top if batch else [],
    }
    if live is None or batch is None:
        return body
    difference = batch.plays - live.plays
    unexplained = difference - live.late_dropped
    if difference == 0 and live.late_dropped == 0 and live.top == batch.top:
        status = "agree"
    elif live.late_dropped and unexplained == 0:
        status = "explained"
    else:
        status = "unexplained"
    return {**body, "status": status, "difference": difference, "unexplained": unexplained}


def drift(hours: list[dict[str, Any]]) -> tuple[int, int]:
    """``(plays, hours)`` unexplained: absolute plays summed (so +n and -n do not cancel), and hours."""
    judged = [h for h in hours if h["status"] == "unexplained"]
    return sum(abs(h["unexplained"]) for h in judged), len(judged)
