"""
### Restatement of late plays

Every five minutes: find the closed hours (inside ingest's `played_at` horizon, or of any age when
their file count changed since the previous scan) whose raw lake partitions gained files after
their last ETL (late plays, or hours no scheduled run covered), oldest first, at most
`CHARTS_RESTATE_BATCH_HOURS` per run; re-run ETL → hourly load for each
(one mapped task instance per hour, so the grid shows which hours are being restated), then the
daily load of their days: complete once those days' own runs have settled, the day so far before.
De-duplication by `event_id` makes re-reading the original and the late files count each play
once; each load swaps its interval in one transaction, so the previous chart is served until the
new one is in. Beside them, `complete_overdue_days` completes the days whose own run has settled
while their chart is still the day so far (the daily run failed for good and no hour of the day had
files to restate: it would stay `pending` for ever), failing by name for a day it cannot complete;
and `prune_claims` deletes the `play_claims` of hours past the ingest
horizon plus `CHARTS_CLAIMS_KEPT_PAST_HORIZON` (1 day).
Logic: `topsongs_charts.restate`, `topsongs_charts.claims`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, task


@dag(
    schedule="*/5 * * * *",
    start_date=datetime(2020, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["charts", "lake", "postgres"],
    # The wait between tries is Airflow's [core] default_task_retry_delay (set by devstack and compose).
    default_args={"retries": 2},
)
def plays_restatement() -> None:
    """Stale hours → ETL + hourly load each → daily load of their days."""

    @task
    def find_stale_hours() -> list[str]:
        """Hours whose lake files outnumber what their ETL read, oldest first, bounded."""
        from topsongs_charts.restate import stale_hours
        from topsongs_charts.settings import ChartsSettings

        hours = stale_hours(ChartsSettings(), datetime.now(UTC))
        print(f"{len(hours)} stale hours: {[h.isoformat() for h in hours]}")
        return [h.isoformat() for h in hours]

    @task(map_index_template="{{ restated_hour }}")
    def restate_hour(hour: str) -> dict:
        """ETL and hourly load of one stale hour."""
        from airflow.sdk import get_current_context
        from topsongs_charts.restate import restate_hour as restate
        from topsongs_charts.settings import ChartsSettings

        get_current_context()["restated_hour"] = hour  # type: ignore[typeddict-unknown-key]
        return restate(ChartsSettings(), datetime.fromisoformat(hour))

    @task
    def reload_days(hours: list[str]) -> list[dict | None]:
        """The daily load of every day an hour was restated in (the day so far while it is young)."""
        from topsongs_charts.restate import reload_days as reload
        from topsongs_charts.settings import ChartsSettings

        return reload(ChartsSettings(), map(datetime.fromisoformat, hours), datetime.now(UTC))

    @task
    def complete_overdue_days() -> dict:
        """Settled days still serving the day so far: their missing hours, then their chart."""
        from topsongs_charts.restate import complete_overdue_days as complete
        from topsongs_charts.settings import ChartsSettings

        return complete(ChartsSettings(), datetime.now(UTC))

    @task
    def prune_claims() -> dict:
        """Forget the event_ids of hours past the ingest horizon (no copy of them can be accepted)."""
        from topsongs_charts.claims import prune_claims as prune
        from topsongs_charts.settings import ChartsSettings

        cutoff, deleted = prune(ChartsSettings(), datetime.now(UTC))
        return {"before": cutoff.isoformat(), "deleted": deleted}

    hours = find_stale_hours()
    restate_hour.expand(hour=hours) >> reload_days(hours)
    # On their own: a run with no stale hour skips the two above.
    complete_overdue_days()
    prune_claims()


plays_restatement()
