"""Settings of the lake job (env prefix ``LAKE_``); engines come from KafkaSettings / S3Settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from topsongs_core.lake_layout import LakeLayout


class LakeSettings(LakeLayout):
    """Where the job runs, where it writes (``plays_path``, ``quarantine_path``), how each trigger is sized.

    The paths are the lake layout's fields (LAKE_PLAYS_PATH, LAKE_QUARANTINE_PATH), which the batch
    charts read as well.
    """

    model_config = SettingsConfigDict(env_prefix="LAKE_", extra="ignore")

    spark_master_url: str = "local[*]"
    app_name: str = "spark"
    driver_memory: str = "1g"
    # Resources asked of a cluster manager (spark.cores.max, spark.executor.*); unset leaves Spark's
    # defaults, and local[*] ignores them. On a standalone master an app takes every free core unless
    # cores_max is set, so a second app (or the job next to a notebook) would wait forever.
    cores_max: int | None = Field(default=None, ge=1, description="Cores the app may take in total.")
    executor_cores: int | None = Field(default=None, ge=1, description="Cores per executor.")
    executor_memory: str | None = Field(default=None, description="Heap per executor, e.g. 512m.")
    jars_dir: Path | None = Field(
        default=None, description="Directory whose *.jar files are handed to Spark."
    )
    jars_on_workers: bool = Field(
        default=False,
        description="Every executor's machine has jars_dir at the same path: the jars go on the "
        "class path instead of being copied to each executor (always so with a local master).",
    )
    quarantine: bool = Field(
        default=False,
        description="Also copy invalid records to quarantine_path (a second read of the topic).",
    )
    trigger_interval: str = "30 seconds"
    available_now: bool = Field(
        default=False, description="Drain what is in Kafka now, then stop (batch-style runs)."
    )
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int = Field(default=200_000, ge=1)
    output_tasks: int = Field(default=2, ge=1, description="Write tasks per trigger.")
    fail_on_data_loss: bool = True
    ui_enabled: bool = True
    # The UI's port, where Prometheus also scrapes the driver's metrics (/metrics/prometheus).
    ui_port: int = 4040
