"""The single-node stack (what `make up` runs as processes): engines, their init steps, the services."""

from __future__ import annotations

from urllib.parse import urlsplit

from topsongs_charts.lake_accounts import LAKE as LAKE_ACCOUNT
from topsongs_core.settings import KafkaSettings, PostgresSettings, S3Settings

from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.deployment import env, programs
from topsongs_devstack.deployment.env import knob, secret
from topsongs_devstack.deployment.model import (
    Health,
    Publish,
    Service,
    completed,
    healthy,
    http_health,
    tcp_health,
)

PYTHON = ("python",)
STREAMS_DATA = "/var/lib/topsongs/streams"
KAFKA_READY = {**healthy("kafka"), **completed("kafka-init")}


def _port_of(address: str | None) -> int:
    port = urlsplit(address if address and "//" in address else f"//{address}").port
    assert port is not None, address
    return port


def _devstack(field: str) -> int:
    return int(DevstackSettings.model_fields[field].default)


# Host ports default to devstack's, so host tools with default settings talk to this stack.
KAFKA_PORT = _port_of(KafkaSettings.model_fields["bootstrap_servers"].default)
PG_PORT = int(PostgresSettings.model_fields["port"].default)
S3_PORT = _port_of(S3Settings.model_fields["endpoint_url"].default)
INGEST_PORT = _devstack("ingest_port")
DASHBOARD_PORT = _devstack("dashboard_port")
AIRFLOW_PORT = _devstack("airflow_port")


# The broker's metrics inside the compose network: Prometheus' JMX exporter agent, which the kafka
# image holds with devstack's rules (docker/Dockerfile, target kafka), on devstack's default port.
KAFKA_METRICS_PORT = _devstack("kafka_metrics_port")
# Where the S3 store and Airflow send StatsD: the statsd-exporter service (UDP), devstack's port.
STATSD = ("statsd-exporter", _devstack("statsd_port"))
JMX_AGENT = (
    "-javaagent:/opt/jmx-exporter/jmx_prometheus_javaagent.jar=0.0.0.0:{port}:/opt/jmx-exporter/kafka.yml"
)


def kafka() -> Service:
    """One combined KRaft broker/controller; a HOST listener for tools on the host."""
    return Service(
        "kafka",
        "kafka",
        environment={
            "CLUSTER_ID": "${KAFKA_CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}",
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@kafka:9093",
            "KAFKA_LISTENERS": f"PLAINTEXT://:9092,CONTROLLER://:9093,HOST://:{KAFKA_PORT}",
            "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://kafka:9092,HOST://127.0.0.1:${{PUBLISH_KAFKA_PORT:-{KAFKA_PORT}}}",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,HOST:PLAINTEXT",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
            "KAFKA_NUM_PARTITIONS": knob(KafkaSettings, "plays_partitions"),
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "12",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
            "KAFKA_LOG_RETENTION_HOURS": "168",
            "KAFKA_MESSAGE_MAX_BYTES": "4194304",
            "KAFKA_HEAP_OPTS": f"-Xmx{knob(DevstackSettings, 'kafka_heap')} -Xms256m",
            # JVM options (docker/kafka/start.sh): the JMX exporter, scraped as job kafka
            "KAFKA_OPTS": JMX_AGENT.format(port=KAFKA_METRICS_PORT),
        },
        ports=(Publish("PUBLISH_KAFKA_PORT", KAFKA_PORT, KAFKA_PORT),),
        volumes=("kafka-data:/var/lib/kafka/data",),
        # the listener accepts connections (kafka-init then waits for metadata answers)
        healthcheck=tcp_health(9092),
        doc="one combined KRaft broker/controller; HOST is the listener for tools on the host; its JMX\n"
        f"metrics on {KAFKA_METRICS_PORT} inside the network (the exporter agent)",
    )


def postgres(name: str = "postgres", volume: str = "pg-data", publish: bool = True) -> Service:
    """Debian's PostgreSQL 15, as devstack runs it (docker/postgres/entrypoint.sh)."""
    return Service(
        name,
        "postgres",
        environment={
            "POSTGRES_USER": knob(PostgresSettings, "user"),
            "POSTGRES_PASSWORD_FILE": env.secret_file("PG_PASSWORD"),
            "POSTGRES_DB": knob(PostgresSettings, "database"),
            # read by docker/postgres/init-topsongs.sh (first start of an empty volume only)
            "PG_READER_USER": knob(PostgresSettings, "reader_user"),
            "PG_READER_PASSWORD_FILE": env.secret_file("PG_READER_PASSWORD"),
        },
        ports=(Publish("PUBLISH_PG_PORT", PG_PORT, 5432),) if publish else (),
        volumes=(f"{volume}:/var/lib/postgresql/data",),
        # TCP, not the socket: the first start's temporary server listens on the socket only.
        healthcheck=Health(
            ("CMD-SHELL", 'pg_isready -h 127.0.0.1 -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"')
        ),
        doc="Debian's PostgreSQL 15, as devstack runs it (docker/postgres/entrypoint.sh)",
    )


def s3(
    name: str = "s3", volume: str = "s3-data", publish: bool = True, statsd: tuple[str, int] | None = None
) -> Service:
    """versitygw (Apache-2.0), the S3 server devstack builds (docs/object-store.md); with ``statsd``,
    sending its request metrics there, as devstack's does to its statsd_exporter."""
    metrics: tuple[str, ...] = ()
    if statsd is not None:
        metrics = (
            "--metrics-statsd-servers",
            f"{statsd[0]}:{statsd[1]}",
            "--metrics-service-name",
            "versitygw",
        )
    return Service(
        name,
        "s3",
        # the image's CMD (its accounts in /iam), with the metrics flags before the backend (global options)
        command=("--port", ":7070", "--health", "/health", "--iam-dir", "/iam", *metrics, "posix", "/data")
        if metrics
        else None,
        # without a listener the gateway would log an error per request
        depends_on=healthy(statsd[0]) if statsd is not None else {},
        environment={
            "ROOT_ACCESS_KEY": knob(S3Settings, "access_key_id"),
            "ROOT_SECRET_KEY": secret("S3_SECRET_ACCESS_KEY"),
        },
        ports=(Publish("PUBLISH_S3_PORT", S3_PORT, 7070),) if publish else (),
        volumes=(f"{volume}:/data", f"{volume.removesuffix('-data')}-iam:/iam"),
        healthcheck=Health(("CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:7070/health")),
        doc="versitygw (Apache-2.0), the same S3 server devstack builds; see docs/object-store.md",
    )


def s3_init(name: str = "s3-init", store: str = "s3", endpoint: str = "http://s3:7070") -> Service:
    """Once the store answers: the bucket, one account per client of the lake and the bucket's
    policy (topsongs_charts.lake_init, in the image that has topsongs_charts)."""
    return Service(
        name,
        "airflow",
        command=(*PYTHON, "-m", "topsongs_charts.lake_init"),
        environment={**env.s3(endpoint), **env.lake_accounts(), **env.lake()},
        depends_on=healthy(store),
        settings=programs.LAKE_INIT,
        doc="the lake bucket, its per-service accounts and policy (docs/security.md), as devstack makes them",
    )


def engines() -> list[Service]:
    """Kafka with its topics, PostgreSQL, the S3 store with its bucket."""
    kafka_init = Service(
        "kafka-init",
        "ingest",
        command=tuple(programs.KAFKA_SETUP.argv(PYTHON)),
        environment=env.kafka(),
        depends_on=healthy("kafka"),
        settings=programs.KAFKA_SETUP.settings,
        doc="the product's topics (ingest/src/ingest/kafka_setup.py), as devstack creates them",
    )
    return [kafka(), kafka_init, postgres(), s3(statsd=STATSD), s3_init()]


def services() -> list[Service]:
    """ingest, streams, the Spark lake job and dashboard-api."""
    ingest = programs.INGEST
    workers = knob(DevstackSettings, "ingest_workers")
    streams, lake, board = programs.STREAMS, programs.LAKE, programs.DASHBOARD
    assert streams.port and streams.health_path and lake.port and lake.health_path
    return [
        Service(
            "ingest",
            "ingest",
            command=tuple(ingest.argv(PYTHON, "0.0.0.0", ingest.port, workers)),
            environment={
                **env.kafka(),
                **env.contract(),
                **env.ingest(),
                **env.multiprocess(),
            },
            depends_on=KAFKA_READY,
            settings=ingest.settings,
            ports=(Publish("PUBLISH_INGEST_PORT", INGEST_PORT, ingest.port),),
            tmpfs=(env.METRICS_DIR,),
            # /readyz: the process answers and the broker is reachable
            healthcheck=http_health(ingest.port, ingest.health_path),
        ),
        Service(
            "streams",
            "streams",
            command=tuple(streams.argv(PYTHON, *programs.streams_args(STREAMS_DATA))),
            environment={
                **env.kafka(),
                **env.contract(),
                **env.live(),
                "STREAMS_APP_ID": "${STREAMS_APP_ID:-topsongs-live}",
                "STREAMS_METRICS_PORT": str(streams.port),
                # Prometheus scrapes it by service name, from another container
                "STREAMS_METRICS_HOST": "0.0.0.0",
            },
            depends_on=KAFKA_READY,
            settings=streams.settings,
            volumes=(f"streams-data:{STREAMS_DATA}",),
            healthcheck=http_health(streams.port, streams.health_path, "60s"),
        ),
        Service(
            "spark",
            "spark",
            command=tuple(lake.argv(PYTHON)),
            environment={
                **env.kafka(),
                **env.s3(account=LAKE_ACCOUNT),
                **env.lake(),
                "LAKE_SPARK_MASTER_URL": "${LAKE_SPARK_MASTER_URL:-local[*]}",
                "LAKE_DRIVER_MEMORY": "${LAKE_DRIVER_MEMORY:-1g}",
                "LAKE_JARS_DIR": "/opt/spark/jars",
                "LAKE_TRIGGER_INTERVAL": "${LAKE_TRIGGER_INTERVAL:-30 seconds}",
                "LAKE_UI_ENABLED": "true",
            },
            depends_on={**KAFKA_READY, **healthy("s3"), **completed("s3-init")},
            settings=lake.settings,
            ports=(Publish("PUBLISH_SPARK_UI_PORT", lake.port, lake.port),),
            healthcheck=http_health(lake.port, lake.health_path, "120s"),
        ),
        Service(
            "dashboard-api",
            "dashboard-api",
            command=tuple(board.argv(PYTHON, "0.0.0.0", board.port, _devstack("dashboard_workers"))),
            environment={
                **env.kafka(),
                **env.postgres(),
                **env.contract(),
                **env.live(),
                **env.signin(),
                "DASHBOARD_UI_DIST": "/opt/topsongs/ui/dist",
                "DASHBOARD_ALLOWED_ORIGINS": allowed_origins("PUBLISH_DASHBOARD_PORT", DASHBOARD_PORT),
                **env.multiprocess(),
            },
            depends_on={**KAFKA_READY, **healthy("postgres"), **completed("charts-migrate")},
            settings=board.settings,
            ports=(Publish("PUBLISH_DASHBOARD_PORT", DASHBOARD_PORT, board.port),),
            tmpfs=(env.METRICS_DIR,),
            healthcheck=http_health(board.port, board.health_path),
        ),
    ]


def allowed_origins(variable: str, default: int) -> str:
    """DASHBOARD_ALLOWED_ORIGINS: the published port, as the browser names it."""
    port = f"${{{variable}:-{default}}}"
    return f'["http://127.0.0.1:{port}", "http://localhost:{port}"]'
