"""The live worker's job written for Quix Streams: the peer that ``bench live_peer`` measures.

Run by the bench with ``.venv-bench/bin/python bench/_quix_peer.py`` (Quix Streams lives in its own
environment, bench/pyproject.toml). It reads the plays topic and computes what the Faust worker
computes: the contract's decode, duplicates dropped by event id, per-(region, song) per-minute counts
on event time with the worker's allowed lateness, and per region the exact top 10 and plays of every
chart window (5m, 60m, hour), published as JSON to ``QUIX_OUTPUT_TOPIC`` (key ``REGION|window``).

Quix Streams keeps state per message key (here ``REGION|song_id``, the plays' Kafka key) in RocksDB
with a changelog topic, as the worker keeps its ledger. A chart ranks all the songs of a region, so
the last step is a sink that sees every count update of the process; it publishes the changed regions'
charts at each checkpoint (``QUIX_COMMIT_INTERVAL_S``) and writes how many plays it has handled to
``QUIX_PROGRESS_FILE``, from which the bench measures the rate.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from quixstreams import Application, State
from quixstreams.models.serializers import Deserializer
from quixstreams.sinks import BatchingSink, SinkBatch
from topsongs_core.events import decode
from topsongs_core.settings import ContractSettings
from topsongs_core.windows import DEFAULT_ROLLING_MINUTES, chart_windows

TOP_N = 10
ALLOWED_LATENESS = timedelta(minutes=10)  # the worker's STREAMS_ALLOWED_LATENESS default
WINDOWS = chart_windows(DEFAULT_ROLLING_MINUTES)


class PlayDeserializer(Deserializer):
    """The contract's decode (the worker's); a poison message becomes None and is filtered out."""

    def __init__(self) -> None:
        super().__init__()
        self.contract = ContractSettings()

    def __call__(self, value: bytes, ctx: Any) -> dict[str, Any] | None:
        try:
            play = decode(value, self.contract)
        except (ValueError, TypeError):
            return None
        return {"id": play.event_id, "ms": int(play.played_at.timestamp() * 1000)}


def first_time(play: dict[str, Any], state: State) -> bool:
    """True the first time an event id is seen under its key (duplicates share the key)."""
    if state.exists(play["id"]):
        return False
    state.set(play["id"], 1)
    return True


class Charts(BatchingSink):
    """Every (region, song)'s minute counts of this process, and the charts built from them."""

    def __init__(self, app: Application, output: str, progress: Path) -> None:
        super().__init__()
        self.app, self.output, self.progress = app, output, progress
        self.minutes: dict[str, dict[str, dict[int, int]]] = {}  # region -> song -> minute -> plays
        self.dirty: set[str] = set()
        self.handled = 0

    def setup(self) -> None:
        self.producer = self.app.get_producer()

    def write(self, batch: SinkBatch) -> None:
        for item in batch:
            region, song = item.key.split("|", 1)
            window = item.value
            songs = self.minutes.setdefault(region, {})
            songs.setdefault(song, {})[window["start"] // 60_000] = window["value"]
            self.dirty.add(region)
        self.handled += batch.size

    def flush(self) -> None:
        super().flush()
        now = time.time()
        for region in sorted(self.dirty):
            for window in WINDOWS:
                start, end = window.minutes_at(now)
                self.producer.produce(
                    topic=self.output,
                    key=f"{region}|{window.name}",
                    value=orjson.dumps(self.chart(region, window.name, start, end)),
                )
        self.dirty.clear()
        self.producer.flush()
        partial = self.progress.with_suffix(".tmp")
        partial.write_text(str(self.handled))
        partial.replace(self.progress)

    def chart(self, region: str, window: str, start: int, end: int) -> dict[str, Any]:
        """The exact top N (plays desc, song_id asc) and the plays of a region in minutes [start, end)."""
        totals = {}
        for song, buckets in self.minutes.get(region, {}).items():
            n = sum(plays for minute, plays in buckets.items() if start <= minute < end)
            if n:
                totals[song] = n
        ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_N]
        return {
            "region": region,
            "window": window,
            "window_start": start * 60,
            "window_end": end * 60,
            "plays": sum(totals.values()),
            "entries": [{"rank": i, "song_id": s, "plays": n} for i, (s, n) in enumerate(ranked, 1)],
        }


def main() -> None:
    """Build the app from QUIX_* variables and run it until SIGTERM."""
    env = os.environ
    app = Application(
        broker_address=env["KAFKA_BOOTSTRAP_SERVERS"],
        consumer_group=env["QUIX_CONSUMER_GROUP"],
        auto_offset_reset="earliest",
        commit_interval=float(env.get("QUIX_COMMIT_INTERVAL_S", "1.0")),
        state_dir=env["QUIX_STATE_DIR"],
        processing_guarantee="at-least-once",
        loglevel="WARNING",
    )
    plays = app.topic(
        env["KAFKA_PLAYS_TOPIC"],
        key_deserializer="str",
        value_deserializer=PlayDeserializer(),
        timestamp_extractor=lambda value, headers, ts, kind: value["ms"] if value else ts,
    )
    app.topic(env["QUIX_OUTPUT_TOPIC"], key_serializer="str", value_serializer="bytes")
    sdf = app.dataframe(plays)
    sdf = sdf.filter(lambda play: play is not None)
    sdf = sdf.filter(first_time, stateful=True)
    sdf = sdf.tumbling_window(timedelta(minutes=1), grace_ms=ALLOWED_LATENESS).count().current()
    sdf.sink(Charts(app, env["QUIX_OUTPUT_TOPIC"], Path(env["QUIX_PROGRESS_FILE"])))
    app.run()


if __name__ == "__main__":
    main()
