"""A file sink's commit log and its query's checkpoint must belong together.

Spark's file sink skips every batch id its ``_spark_metadata`` log already holds: that is how a batch
replayed after a crash is written once. A query on a new (or another) checkpoint numbers its batches
from 0 again, so next to an older sink log it would read its plays from Kafka, commit their offsets
and write no file for them; the lake's progress would then claim plays the lake does not hold. The
job refuses to start instead (docs/lake.md, "Checkpoint and sink log").
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from topsongs_core.lake_layout import SPARK_LOG


class CheckpointMismatch(RuntimeError):
    """The sink's log is ahead of the checkpoint: starting would drop the plays of those batch ids."""


def batch_ids(spark: SparkSession, folder: str) -> list[int]:
    """The batch ids of a Spark metadata log (``N`` or ``N.compact`` files), sorted; [] when absent."""
    jvm, context = spark._jvm, spark._jsc  # py4j handles of a classic (not Connect) session
    if jvm is None or context is None:
        raise RuntimeError("the lake job needs a classic Spark session, not Spark Connect")
    path = jvm.org.apache.hadoop.fs.Path(folder)
    fs = path.getFileSystem(context.hadoopConfiguration())
    if not fs.exists(path):
        return []
    names = (status.getPath().getName().removesuffix(".compact") for status in fs.listStatus(path))
    return sorted(int(name) for name in names if name.isdigit())


def check_sink_matches(spark: SparkSession, sink: str, checkpoint: str) -> None:
    """Raise CheckpointMismatch when ``sink``'s log holds a batch the checkpoint never planned.

    A crash between the sink's log entry and the checkpoint's commit leaves the log one batch ahead
    of the commits but not of the planned offsets; Spark replays that batch and the sink skips it.
    """
    written = batch_ids(spark, f"{sink}/{SPARK_LOG}")
    planned = batch_ids(spark, f"{checkpoint}/offsets")
    if written and (not planned or written[-1] > planned[-1]):
        has = f"plans batches only up to {planned[-1]}" if planned else "has planned no batch"
        raise CheckpointMismatch(
            f"{sink} holds batches up to {written[-1]} in its {SPARK_LOG} log, but the checkpoint "
            f"{checkpoint} {has}: Spark would skip those batch ids and lose their plays. Set "
            "LAKE_CHECKPOINT_LOCATION to the checkpoint that wrote this lake, or LAKE_PLAYS_PATH to "
            "a new, empty path."
        )
