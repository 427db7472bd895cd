"""The spark Spark streaming job, run in local mode next to the engines by `make up`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from topsongs_core.lake_layout import LakeLayout, dataset_uri
from topsongs_core.settings import S3Settings

from topsongs_devstack.apps import AppService
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.deployment.programs import LAKE
from topsongs_devstack.kafka import maven_copy

POM = REPO_ROOT / "spark" / "maven" / "pom.xml"
# The driver's Prometheus metrics on its UI port (the servlet answers a redirect without the slash).
METRICS_PATH = "/metrics/prometheus/"


def spark_jars(settings: DevstackSettings) -> Path:
    """The Kafka source, hadoop-aws and AWS SDK jars PySpark lacks, resolved with mvn once."""
    return maven_copy(POM, settings.cache_dir / "jars" / "spark", "Spark Kafka/S3A")


class SparkJobService(AppService):
    """The streaming job as a background process; healthy while it runs."""

    def install(self) -> None:
        """Fetch the connector jars."""
        spark_jars(self.settings)

    def up(self) -> None:
        """Fetch the jars (first run), then start the job."""
        self.install()
        super().up()


def service(settings: DevstackSettings, env: Mapping[str, str] | None = None) -> AppService:
    """`python -m spark.job` with the cached jars; LAKE_* variables tune it further, ``env`` is added
    to its environment (devstack gives it the lake job's S3 key). Its UI, with the driver's
    Prometheus metrics, is on 127.0.0.1:DEVSTACK_SPARK_UI_PORT."""
    jars = settings.cache_dir / "jars" / "spark"
    argv = ["env", f"LAKE_JARS_DIR={jars}", *LAKE.argv([sys.executable])]
    plays = dataset_uri(S3Settings().bucket, LakeLayout().plays_path)
    port = settings.spark_ui_port
    return SparkJobService(
        "spark",
        argv,
        None,
        port,
        settings,
        endpoint=plays,
        # Spark binds its UI to SPARK_LOCAL_IP (all interfaces without it); the job runs in local mode here.
        env={"LAKE_UI_PORT": str(port), "SPARK_LOCAL_IP": "127.0.0.1", **(env or {})},
        scrape=f"127.0.0.1:{port}",
        scrape_path=METRICS_PATH,
    )
