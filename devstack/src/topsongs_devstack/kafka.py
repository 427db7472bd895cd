"""Apache Kafka in KRaft mode (combined broker/controller nodes) from Maven Central jars, and topics."""

from __future__ import annotations

import asyncio
import base64
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from ingest.kafka_setup import ensure_topics
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings

from topsongs_devstack.apps import remove_targets, write_targets
from topsongs_devstack.component import Status
from topsongs_devstack.config import REPO_ROOT, DevstackSettings
from topsongs_devstack.process import (
    ManagedProcess,
    PlatformError,
    port_open,
    run,
    split_hostport,
    wait_until,
)

POM = REPO_ROOT / "devstack" / "maven" / "kafka" / "pom.xml"
# The Prometheus JMX exporter's Java agent and what it serves of the broker.
JMX_EXPORTER_POM = REPO_ROOT / "devstack" / "maven" / "jmx-exporter" / "pom.xml"
JMX_EXPORTER_RULES = REPO_ROOT / "devstack" / "maven" / "jmx-exporter" / "kafka.yml"

# Kafka 4 logs through log4j2; Kafka 3 through log4j 1 (reload4j). Same levels in both.
# No log4j2 shutdown hook: Kafka stops its own threads on SIGTERM, and a hook registered late in that
# shutdown only adds a warning ("Unable to register Log4j shutdown hook"); the console is unbuffered.
# Kafka 4 logs through log4j2 with this file (the topsongs/kafka image copies it too).
LOG4J2 = REPO_ROOT / "devstack" / "maven" / "kafka" / "log4j2.properties"
LOG4J1 = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
"""


def maven_copy(pom: Path, dest: Path, what: str, properties: Mapping[str, str] | None = None) -> Path:
    """Resolve a pom's runtime dependencies with mvn into ``dest`` (skipped when present)."""
    defines = [f"-D{key}={value}" for key, value in sorted((properties or {}).items())]
    marker = dest / ".complete"
    wanted = pom.read_text() + "".join(f"\n{d}" for d in defines)
    if marker.exists() and marker.read_text() == wanted:
        return dest
    if shutil.which("mvn") is None:
        raise PlatformError("Maven (`mvn`) is needed to fetch jars: apt-get install maven")
    print(f"[devstack] resolving {what} jars with Maven into {dest} (first run only)…", flush=True)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run(
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(pom),
            *defines,
            "dependency:copy-dependencies",
            f"-DoutputDirectory={dest}",
            "-DincludeScope=runtime",
        ],
        f"mvn dependency:copy-dependencies for {what}",
    )
    marker.write_text(wanted)
    return dest


def version_tuple(version: str) -> tuple[int, ...]:
    """``"4.4.0"`` → ``(4, 4, 0)``, for comparing releases."""
    return tuple(int(part) for part in version.split("."))


def new_cluster_id() -> str:
    """A random KRaft cluster id (22 URL-safe base64 characters, as `kafka-storage random-uuid`).

    Like Kafka's own generator, never one starting with "-": the storage tool would read it as an
    option (one in 64 random ids did, and `up` failed with "--cluster-id expected one argument").
    """
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return cluster_id


class Kafka:
    """The local single-node Kafka; `KAFKA_BOOTSTRAP_SERVERS` pointed elsewhere skips it.

    ``properties`` override or add broker properties and ``format_args`` are added to the storage
    format (e.g. a SASL_SSL listener and ``--add-scram`` users), for brokers set up differently.
    ``name`` names its process and data folder; one node of a multi-node quorum formats with
    ``initial_controllers`` (``id@host:port:directory-id,...``) and the quorum's shared ``cluster_id``
    instead of ``--standalone``. With ``metrics_port`` the JMX exporter agent serves the broker's
    metrics on host:metrics_port and Prometheus scrapes them.
    """

    name = "kafka"

    def __init__(
        self,
        settings: DevstackSettings,
        kafka: KafkaSettings,
        *,
        properties: Mapping[str, str] | None = None,
        format_args: Sequence[str] = (),
        name: str = "kafka",
        initial_controllers: str | None = None,
        cluster_id: str | None = None,
        metrics_port: int | None = None,
    ) -> None:
        self.name = name
        self.metrics_port = metrics_port
        self.initial_controllers = initial_controllers
        self.cluster_id = cluster_id
        self.settings = settings
        self.kafka = kafka
        self.properties = dict(properties or {})
        self.format_args = tuple(format_args)
        self.host, self.port = split_hostport(kafka.bootstrap_servers.split(",")[0], 9092)
        self.home = settings.state_dir / name
        self.version = settings.kafka_version
        self.log4j2 = version_tuple(self.version) >= (4,)
        self.jars = settings.cache_dir / "jars" / f"kafka-{self.version}"
        self.proc = ManagedProcess(name, settings.run_dir, settings.logs_dir)

    @property
    def _formatted_by(self) -> Path:
        # Written at format time; its absence on formatted data means an older devstack (Kafka 3.9,
        # static controller.quorum.voters) formatted it.
        return self.home / "formatted-by"

    def install(self) -> None:
        """Fetch the broker jars of ``DEVSTACK_KAFKA_VERSION``."""
        properties = {"kafka.version": self.version}
        if not self.log4j2:
            properties["kafka.log4j1"] = "true"
        maven_copy(POM, self.jars, f"Apache Kafka {self.version}", properties)
        if self.metrics_port is not None:
            maven_copy(JMX_EXPORTER_POM, self._agent_dir, "Prometheus JMX exporter")

    @property
    def _agent_dir(self) -> Path:
        return self.settings.cache_dir / "jars" / "jmx-exporter"

    def _agent(self) -> list[str]:
        """The JVM option loading the JMX exporter on host:metrics_port (none without a port)."""
        if self.metrics_port is None:
            return []
        [jar] = self._agent_dir.glob("jmx_prometheus_javaagent-*.jar")
        return [f"-javaagent:{jar}={self.host}:{self.metrics_port}:{JMX_EXPORTER_RULES}"]

    def _java(self, main: str, *args: str) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise PlatformError("Java 17+ is needed for Kafka: apt-get install openjdk-17-jre-headless")
        if self.log4j2:
            logging = f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}"
        else:
            logging = f"-Dlog4j.configuration=file:{self.home / 'log4j.properties'}"
        return [
            java,
            f"-Xmx{self.settings.kafka_heap}",
            "-Xms256m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            logging,
            "-cp",
            f"{self.jars}/*",
            main,
            *args,
        ]

    def _write_config(self, static_quorum: bool) -> Path:
        ctl = self.settings.kafka_controller_port
        # KRaft the 4.x way: the controller quorum is found through bootstrap servers and the voter
        # set lives in the metadata log (formatted --standalone); data formatted with a static voter
        # list keeps it.
        quorum = (
            {"controller.quorum.voters": f"1@{self.host}:{ctl}"}
            if static_quorum
            else {"controller.quorum.bootstrap.servers": f"{self.host}:{ctl}"}
        )
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            **quorum,
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{ctl}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.home / "data"),
            "num.partitions": str(self.kafka.plays_partitions),
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "log.retention.hours": "168",
            "message.max.bytes": "4194304",
        }
        if self.log4j2:  # share groups (4.x) keep their state in a topic that defaults to 3 replicas
            props["share.coordinator.state.topic.replication.factor"] = "1"
            props["share.coordinator.state.topic.min.isr"] = "1"
        props.update(self.properties)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.log4j2:
            (self.home / "log4j2.properties").write_text(LOG4J2.read_text())
        else:
            (self.home / "log4j.properties").write_text(LOG4J1)
        config = self.home / "server.properties"
        config.touch(mode=0o600)
        config.chmod(0o600)  # a SASL listener's JAAS config holds the broker's own password
        config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return config

    def _format(self, config: Path) -> None:
        quorum = (
            ["--initial-controllers", self.initial_controllers]
            if self.initial_controllers
            else ["--standalone"]
        )
        java, *args = self._java(
            "kafka.tools.StorageTool",
            "format",
            *quorum,
            "-t",
            self.cluster_id or new_cluster_id(),
            "-c",
            str(config),
            *self.format_args,
        )
        # The arguments (``--add-scram`` passwords among them) go through a java argument file only
        # its owner can read, so they never show on the process's command line.
        argfile = self.home / "format.args"
        argfile.touch(mode=0o600)
        argfile.chmod(0o600)
        argfile.write_text("\n".join(f'"{arg}"' for arg in args) + "\n")
        try:
            run([java, f"@{argfile}"], "kafka storage format")
        finally:
            argfile.unlink()
        self._formatted_by.write_text(self.version)

    def _check_release(self) -> None:
        if not self._formatted_by.exists():
            return
        formatted = self._formatted_by.read_text().strip()
        if version_tuple(self.version) < version_tuple(formatted):
            raise PlatformError(
                f"{self.home / 'data'} was formatted by Kafka {formatted}; Kafka {self.version} cannot "
                f"read it: set DEVSTACK_KAFKA_VERSION={formatted} or remove {self.home}"
            )

    def up(self) -> None:
        """Format storage once, start the broker, wait for it, create the product's topics."""
        self.start()
        self.wait()
        asyncio.run(ensure_topics(self.kafka))

    def start(self) -> None:
        """Format storage once and start the node's process (harmless when running); no waiting."""
        if self.proc.pid() is None:
            metrics = () if self.metrics_port is None else (self.metrics_port,)
            for port in (self.port, self.settings.kafka_controller_port, *metrics):
                if port_open(self.host, port):
                    raise PlatformError(
                        f"port {port} on {self.host} is taken by another process; stop it or set "
                        "KAFKA_BOOTSTRAP_SERVERS / DEVSTACK_KAFKA_CONTROLLER_PORT / _METRICS_PORT"
                    )
            self._check_release()
            self.install()
            formatted = (self.home / "data" / "meta.properties").exists()
            config = self._write_config(static_quorum=formatted and not self._formatted_by.exists())
            if not formatted:
                self._format(config)
            print(f"[devstack] starting Kafka {self.version} on {self.host}:{self.port}", flush=True)
            java, *args = self._java("kafka.Kafka", str(config))
            self.proc.start([java, *self._agent(), *args])

    def wait(self) -> None:
        """Wait until the node accepts connections on its client listener (raise if it died)."""
        wait_until(
            lambda: port_open(self.host, self.port) or self._died(),
            self.settings.start_timeout_s,
            "Kafka",
            self.proc.log_file,
        )
        if self._died():
            raise PlatformError(f"Kafka exited during start-up:\n{self.proc.tail()}")
        if self.metrics_port is not None:
            write_targets(self.settings, self.name, [f"{self.host}:{self.metrics_port}"])

    def _died(self) -> bool:
        return self.proc.pid() is None

    def down(self) -> None:
        """Stop the broker (a controlled shutdown keeps the logs clean)."""
        remove_targets(self.settings, self.name)
        if self.proc.stop(timeout=60):
            print("[devstack] stopped Kafka", flush=True)

    def status(self) -> Status:
        """Healthy when the broker answers metadata requests."""
        healthy = port_open(self.host, self.port) and asyncio.run(answers(self.kafka))
        return Status(self.name, healthy, self.kafka.bootstrap_servers)


async def answers(kafka: KafkaSettings) -> bool:
    """Whether the broker(s) at ``kafka`` answer a metadata request within a few seconds."""
    admin = AIOKafkaAdminClient(**aiokafka_connection(kafka), request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        await asyncio.wait_for(admin.describe_cluster(), 5)
        return True
    except Exception:
        return False
    finally:
        await admin.close()


def private_topics(prefix: str, suffix: str | None = None) -> KafkaSettings:
    """Settings whose plays, dead-letter and live topics (and dashboard-api's group) belong to one test or
    benchmark run."""
    suffix = suffix or uuid.uuid4().hex[:8]
    return KafkaSettings(
        plays_topic=f"{prefix}-plays-{suffix}",
        dead_letter_topic=f"{prefix}-dlq-{suffix}",
        live_topic=f"{prefix}-live-{suffix}",
        dashboard_group=f"{prefix}-dashboard-{suffix}",
    )
