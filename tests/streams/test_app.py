"""The app is built from the settings it is given, once per process; importing streams reads none."""

from __future__ import annotations

import os
import subprocess
import sys

from streams.app import create_app
from streams.settings import StreamsSettings
from topsongs_core.settings import KafkaSettings


def test_importing_every_module_reads_no_settings() -> None:
    modules = (
        "agents app charts closed_hours ledger partition_tally settings standings tables topics transport"
    )
    code = "; ".join(f"import streams.{m}" for m in (*modules.split(), "__main__"))
    # Settings built at import would fail on these values.
    env = {**os.environ, "KAFKA_PLAYS_PARTITIONS": "many", "STREAMS_PUBLISH_RATE_HZ": "-1"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_two_apps_of_one_process_each_follow_their_own_settings() -> None:
    first = StreamsSettings(app_id="first", kafka=KafkaSettings(plays_topic="plays-a", plays_partitions=2))
    second = StreamsSettings(app_id="second", kafka=KafkaSettings(plays_topic="plays-b", plays_partitions=4))
    a, b = create_app(first), create_app(second)
    assert (a.conf.id, b.conf.id) == ("first", "second")
    counting = [app.agents["streams.agents.count_plays"].channel for app in (a, b)]
    assert [topic.get_topic_name() for topic in counting] == ["plays-a", "plays-b"]
    assert (a.tables["play-ledger"].partitions, b.tables["play-ledger"].partitions) == (2, 4)
    assert a.charts is not b.charts and a.charts.ledger is a.tables["play-ledger"]
