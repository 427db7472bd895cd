"""How far the lake has got: the Kafka offsets Spark has committed into it, against Kafka's end offsets.

An hour is processed when the lake has every play Kafka held at the hour's deadline, not when the
clock says so: ``wait_for_lake`` reads the topic's end offsets once, then waits until the lake job's
newest checkpoint commit covers them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, TopicPartition
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings

from topsongs_charts.lake import Lake
from topsongs_charts.lake_reader import LakeReader
from topsongs_charts.settings import ChartsSettings

log = logging.getLogger(__name__)

Offsets = dict[int, int]


class LakeBehind(RuntimeError):
    """The lake did not reach Kafka's end offsets within the wait limit: the interval stays pending."""


def checkpoint_key(settings: ChartsSettings) -> str:
    """The key of the lake job's plays checkpoint (LAKE_CHECKPOINT_LOCATION, shared with the job):
    its newest commit says which Kafka offsets the lake holds."""
    return settings.lake.checkpoint_key(settings.s3.bucket, "plays")


def _newest(names: Iterable[str]) -> int | None:
    numbers = [int(name) for name in names if name.isdigit()]
    return max(numbers) if numbers else None


def _source_offsets(text: str, topic: str) -> Offsets:
    # "v1", the batch metadata, then one line per source: {"<topic>": {"<partition>": offset}}.
    for line in text.splitlines()[2:]:
        source = json.loads(line) if line.strip().startswith("{") else {}
        if topic in source:
            return {int(p): int(o) for p, o in source[topic].items()}
    return {}


def lake_offsets(lake: Lake, checkpoint: str, topic: str) -> Offsets:
    """Per partition, the next offset after the plays the lake holds (empty before the first commit).

    Spark writes ``offsets/N`` before batch N runs and ``commits/N`` after its files are in the
    sink's log, so the newest ``commits/N`` names offsets whose plays are all committed Parquet.
    """
    batch = _newest(key.rsplit("/", 1)[-1] for key in lake.list_files(f"{checkpoint}/commits"))
    if batch is None:
        return {}
    return _source_offsets(lake.read_text(f"{checkpoint}/offsets/{batch}"), topic)


async def read_lake_offsets(lake: LakeReader, checkpoint: str, topic: str) -> Offsets:
    """``lake_offsets`` for asyncio code: the same newest commit, read with aioboto3."""
    batch = _newest(await lake.names(f"{checkpoint}/commits"))
    if batch is None:
        return {}
    return _source_offsets(await lake.read_text(f"{checkpoint}/offsets/{batch}"), topic)


async def _end_offsets(kafka: KafkaSettings) -> Offsets:
    # Subscribed (without a group) so that start() fetches the topic's metadata; nothing is read.
    consumer = AIOKafkaConsumer(
        kafka.plays_topic, **aiokafka_connection(kafka, client_id="topsongs-charts"), group_id=None
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(kafka.plays_topic)
        if not partitions:
            raise LakeBehind(f"Kafka has no topic {kafka.plays_topic!r} (KAFKA_PLAYS_TOPIC)")
        ends = await consumer.end_offsets([TopicPartition(kafka.plays_topic, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


def kafka_end_offsets(kafka: KafkaSettings) -> Offsets:
    """Per partition of the plays topic, the offset the next record will get."""
    return asyncio.run(_end_offsets(kafka))


def behind(target: Offsets, committed: Offsets) -> Offsets:
    """Plays per partition that Kafka had at ``target`` and the lake does not hold yet."""
    gaps = {p: end - committed.get(p, 0) for p, end in target.items()}
    return {p: gap for p, gap in sorted(gaps.items()) if gap > 0}


def lake_behind(settings: ChartsSettings, target: Offsets, lake: Lake | None = None) -> Offsets:
    """Plays per partition that Kafka had at ``target`` and the lake's newest commit does not hold
    yet; empty once the lake holds them all."""
    lake = lake or Lake.from_s3(settings.s3)
    return behind(target, lake_offsets(lake, checkpoint_key(settings), settings.kafka.plays_topic))


@dataclass
class LakeProgress:
    """What a wait found: the target offsets, how far behind the lake was, and how long it took."""

    target: Offsets
    behind_at_start: int
    waited_s: float

    def as_dict(self) -> dict[str, object]:
        """For the task's XCom and log."""
        return {
            "target": {str(p): o for p, o in self.target.items()},
            "behind_at_start": self.behind_at_start,
            "waited_s": round(self.waited_s, 3),
        }


def wait_for_lake(
    settings: ChartsSettings,
    deadline: datetime,
    lake: Lake | None = None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> LakeProgress:
    """Wait for ``deadline``, read Kafka's end offsets once, then until the lake has committed them.

    Raises LakeBehind, naming the partitions and plays still missing, after ``lake_wait_limit``.
    """
    lake = lake or Lake.from_s3(settings.s3)
    early = deadline.timestamp() - clock()
    if early > 0:
        log.info("waiting %.1f s for the deadline %s", early, deadline.isoformat())
        sleep(early)
    target = kafka_end_offsets(settings.kafka)
    checkpoint = checkpoint_key(settings)
    started = clock()
    limit = settings.lake_wait_limit.total_seconds()
    first: int | None = None
    while True:
        missing = lake_behind(settings, target, lake)
        total = sum(missing.values())
        first = total if first is None else first
        waited = clock() - started
        if not missing:
            log.info("the lake holds Kafka's plays up to %s (waited %.1f s)", target, waited)
            return LakeProgress(target, first, waited)
        if waited >= limit:
            raise LakeBehind(
                f"after {waited:.0f} s the lake is still {total} plays behind Kafka's end offsets at "
                f"{datetime.fromtimestamp(started, UTC).isoformat()} (partition: plays missing "
                f"{missing}); is the lake job ({checkpoint}) running? The interval stays pending."
            )
        log.info("the lake is %d plays behind Kafka (%s); checking again", total, missing)
        sleep(min(settings.lake_poll_s, max(limit - waited, 0.1)))


def wait_for_interval(settings: ChartsSettings, end: datetime) -> dict[str, object]:
    """``wait_for_lake`` for the interval ending at ``end`` (deadline: end + grace), as a task's XCom."""
    return wait_for_lake(settings, end + settings.deadline_grace).as_dict()


def main() -> int:
    """`python -m topsongs_charts.progress [--wait S]`: how far the lake is behind Kafka, or wait for it."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--wait", type=float, default=0.0, help="wait up to S seconds for the lake")
    args = parser.parse_args()
    settings = ChartsSettings()
    if args.wait:
        settings = settings.model_copy(update={"lake_wait_limit": timedelta(seconds=args.wait)})
    try:
        progress = wait_for_lake(settings, datetime.now(UTC))
    except LakeBehind as exc:
        print(exc)
        return 1
    print(f"the lake holds every play Kafka had (waited {progress.waited_s:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
