"""SparkSession configuration: master, memory, connector jars, S3A and Kafka client options."""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import SparkSession
from topsongs_core.kafka_options import SECRET_OPTION_PATTERN, spark_kafka_options
from topsongs_core.lake_layout import dataset_uri
from topsongs_core.settings import KafkaSettings, S3Settings

from spark.settings import LakeSettings


def connector_jars(jars_dir: Path | None) -> list[str]:
    """The jar files of ``jars_dir`` (the Kafka source, hadoop-aws and the AWS SDK)."""
    return sorted(str(p) for p in jars_dir.glob("*.jar")) if jars_dir else []


def s3a_conf(s3: S3Settings) -> dict[str, str]:
    """Hadoop S3A options (``spark.hadoop.``-prefixed) for the configured object store."""
    conf = {
        "fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.path.style.access": str(s3.path_style).lower(),
        "fs.s3a.endpoint.region": s3.region,
    }
    keys = s3.key_pair()
    if keys:
        conf["fs.s3a.access.key"], conf["fs.s3a.secret.key"] = keys
        conf["fs.s3a.aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
    else:  # the AWS SDK v2 default chain: variables, profiles, web identity, container/instance roles
        conf["fs.s3a.aws.credentials.provider"] = (
            "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"
        )
    if s3.endpoint_url:
        conf["fs.s3a.endpoint"] = s3.endpoint_url
        conf["fs.s3a.connection.ssl.enabled"] = str(s3.endpoint_url.startswith("https")).lower()
    return {f"spark.hadoop.{k}": v for k, v in conf.items()}


def spark_conf(lake: LakeSettings, s3: S3Settings) -> dict[str, str]:
    """Every Spark option the job sets, as one reviewable mapping."""
    jars = connector_jars(lake.jars_dir)
    conf = {
        "spark.master": lake.spark_master_url,
        "spark.app.name": lake.app_name,
        "spark.driver.memory": lake.driver_memory,
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(lake.output_tasks),
        "spark.ui.enabled": str(lake.ui_enabled).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.streaming.metricsEnabled": "true",
        # The Kafka source's JAAS config and PEM key are option values: keep them out of the UI and plans.
        "spark.redaction.regex": SECRET_OPTION_PATTERN,
        **s3a_conf(s3),
    }
    if lake.ui_enabled:
        conf.update(prometheus_conf(lake))
    if jars:
        conf.update(jars_conf(jars, lake))
    resources = {
        "spark.cores.max": lake.cores_max,
        "spark.executor.cores": lake.executor_cores,
        "spark.executor.memory": lake.executor_memory,
    }
    conf.update({key: str(value) for key, value in resources.items() if value is not None})
    return conf


def jars_conf(jars: list[str], lake: LakeSettings) -> dict[str, str]:
    """Where the connector jars come from. Where the executors can read ``jars_dir`` themselves (a
    local master, or workers on the driver's machine or image) they go on both class paths as they
    are; otherwise the driver's file server ships them (spark.jars), and every executor keeps two
    copies, about 1.2 GB with the AWS SDK, in its work and local dirs until its worker cleans up."""
    if lake.jars_on_workers or lake.spark_master_url.startswith("local"):
        path = os.pathsep.join(jars)
        return {"spark.driver.extraClassPath": path, "spark.executor.extraClassPath": path}
    return {"spark.jars": ",".join(jars)}


def prometheus_conf(lake: LakeSettings) -> dict[str, str]:
    """The UI's port, serving the driver's metrics (streaming rates and durations among them) at
    /metrics/prometheus and the executors' at /metrics/executors/prometheus."""
    servlet = "spark.metrics.conf.*.sink.prometheusServlet"
    return {
        "spark.ui.port": str(lake.ui_port),
        "spark.ui.prometheus.enabled": "true",
        # Metric names start with the app's name instead of its id, which changes at every start.
        "spark.metrics.namespace": lake.app_name,
        f"{servlet}.class": "org.apache.spark.metrics.sink.PrometheusServlet",
        f"{servlet}.path": "/metrics/prometheus",
    }


def build_session(lake: LakeSettings, s3: S3Settings) -> SparkSession:
    """Start (or join) the SparkSession configured for the lake."""
    builder = SparkSession.builder
    for key, value in spark_conf(lake, s3).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def kafka_source_options(kafka: KafkaSettings, lake: LakeSettings) -> dict[str, str]:
    """Options of Spark's Kafka source for the plays topic (connection options from the core builder)."""
    return {
        **spark_kafka_options(kafka),
        "subscribe": kafka.plays_topic,
        "startingOffsets": lake.starting_offsets,
        "maxOffsetsPerTrigger": str(lake.max_offsets_per_trigger),
        "failOnDataLoss": str(lake.fail_on_data_loss).lower(),
    }


def lake_uri(s3: S3Settings, path: str) -> str:
    """``s3a://<bucket>/<path>``, or ``path`` itself when it already is a URI."""
    return dataset_uri(s3.bucket, path)
