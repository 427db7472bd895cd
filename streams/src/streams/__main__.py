"""Run a worker: ``python -m streams --datadir DIR worker -l info``."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys

# Faust spends most of each message in event-loop machinery (tasks, futures, call_soon); uvloop
# roughly halves that. Faust reads FAUST_LOOP when it is first imported, so this precedes it.
if importlib.util.find_spec("uvloop") is not None:
    os.environ.setdefault("FAUST_LOOP", "uvloop")

from topsongs_core.kafka_access import KafkaAccessError, check_kafka_access

from streams.app import create_app
from streams.settings import StreamsSettings


def check_access(settings: StreamsSettings) -> None:
    """Exit naming the setting when Kafka refuses the worker's credentials, topics or group.

    Faust would retry a refused login for ever, as if the broker were down. A broker that does not
    answer is left to Faust, which waits for it.
    """
    kafka = settings.kafka
    topics = {
        kafka.plays_topic: "Read",
        kafka.dead_letter_topic: "Write",
        kafka.live_topic: "Write",
        kafka.live_hours_topic: "Write",
    }
    # A loop of its own, never set as the current one: Faust makes and owns the worker's loop.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(
            check_kafka_access(kafka, topics=topics, group=settings.app_id, client_id=kafka.client_id)
        )
    except KafkaAccessError as exc:
        sys.exit(f"streams worker not starting: {exc}")
    finally:
        loop.close()


def main() -> None:
    """Build the settings once, check Kafka lets the worker in, then hand the command line to Faust."""
    settings = StreamsSettings()
    check_access(settings)
    create_app(settings).main()


if __name__ == "__main__":
    main()
