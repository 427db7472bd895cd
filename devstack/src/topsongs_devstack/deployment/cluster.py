"""The cluster profile in containers: three SASL_SSL Kafka nodes, Spark standalone, two of each
service behind haproxy, Airflow on Celery; its own PostgreSQL and S3 store, sharing nothing with the
single-node stack."""

from __future__ import annotations

from topsongs_charts.lake_accounts import LAKE as LAKE_ACCOUNT

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.deployment import env, programs
from topsongs_devstack.deployment.env import knob, optional
from topsongs_devstack.deployment.model import (
    Env,
    Service,
    completed,
    healthy,
    http_health,
    tcp_health,
)
from topsongs_devstack.deployment.single import PYTHON, postgres, s3, s3_init

NODES = ("cluster-kafka-1", "cluster-kafka-2", "cluster-kafka-3")
KAFKA_PORT = 9094
CA = "kafka-cluster-ca:/run/kafka-ca:ro"
AFTER_KAFKA = completed("cluster-kafka-init")
S3_ENDPOINT = "http://cluster-s3:7070"
PUBLISH_INGEST, PUBLISH_DASHBOARD, PUBLISH_AIRFLOW = 18000, 18080, 18081


def password(user: str) -> str:
    """A Kafka user's password: from .env, checked by the nodes (docker/kafka/cluster-node.sh)."""
    return optional(f"CLUSTER_KAFKA_{user.upper()}_PASSWORD")


def kafka_client_env() -> dict[str, str | None]:
    """KafkaSettings every client of the cluster shares (the user is each one's own); the CA is mounted."""
    return {
        **env.kafka(",".join(f"{node}:{KAFKA_PORT}" for node in NODES)),
        "KAFKA_PLAYS_PARTITIONS": knob(ClusterSettings, "kafka_partitions"),
        # topics a service creates itself (Faust's changelogs) are replicated like the others
        "KAFKA_REPLICATION_FACTOR": str(len(NODES)),
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SSL_CAFILE": "/run/kafka-ca/ca.pem",
    }


def kafka_env(user: str) -> dict[str, str | None]:
    """KafkaSettings of a service that reaches the cluster as ``user``."""
    return {
        **kafka_client_env(),
        "KAFKA_SASL_USERNAME": user,
        # a file compose makes from .env (env.secret_file), as every secret of our programs
        "KAFKA_SASL_PASSWORD_FILE": env.secret_file(f"CLUSTER_KAFKA_{user.upper()}_PASSWORD"),
    }


def kafka() -> list[Service]:
    """A CA and node certificates, three SASL_SSL nodes, then the topics and each service's ACLs."""
    certs = Service(
        "cluster-kafka-certs",
        "kafka",
        command=("bash", "/opt/kafka/cluster-certs.sh"),
        environment={"NODES": " ".join(NODES)},
        volumes=("kafka-cluster-secrets:/secrets", "kafka-cluster-ca:/ca"),
        # root, to hand the node keys to the Kafka image's user; openssl comes with the image
        user="0:0",
    )
    node_env: Env = {
        "NODES": " ".join(NODES),
        "CLUSTER_ID": "${CLUSTER_KAFKA_CLUSTER_ID:-Vb3QmI8rT0ecdj2M2Yx8pQ}",
        "PARTITIONS": knob(ClusterSettings, "kafka_partitions"),
        "KAFKA_HEAP_OPTS": f"-Xmx{knob(ClusterSettings, 'kafka_heap')} -Xms256m",
        **{f"{user.upper()}_PASSWORD": password(user) for user in programs.KAFKA_USERS},
    }
    nodes = [
        Service(
            node,
            "kafka",
            entrypoint=("/bin/bash", "/opt/kafka/cluster-node.sh"),
            environment={**node_env, "NODE_ID": str(n)},
            depends_on=completed(certs.name),
            volumes=("kafka-cluster-secrets:/secrets:ro", f"{node}-data:/var/lib/kafka/data"),
            # the SASL_SSL listener accepts connections (cluster-kafka-init then waits as admin)
            healthcheck=tcp_health(KAFKA_PORT, "60s"),
        )
        for n, node in enumerate(NODES, start=1)
    ]
    setup = programs.KAFKA_SETUP
    init = Service(
        "cluster-kafka-init",
        "ingest",
        command=(*setup.argv(PYTHON), "--acls", "--streams-app-id", knob(ClusterSettings, "streams_app_id")),
        environment=kafka_env(setup.kafka_user),
        depends_on=healthy(*NODES),
        settings=setup.settings,
        volumes=(CA,),
        doc="the product's topics (replication 3, the nodes' min ISR 2) and each service's ACLs, as the\n"
        "admin, with the code devstack's cluster profile runs (ingest/src/ingest/kafka_setup.py)",
    )
    return [certs, *nodes, init]


def stores() -> list[Service]:
    """PostgreSQL and the S3 store: one node each, as the single-node stack's, with their own data."""
    return [
        postgres("cluster-postgres", "cluster-pg-data", publish=False),
        s3("cluster-s3", "cluster-s3-data", publish=False),
        s3_init("cluster-s3-init", "cluster-s3", S3_ENDPOINT),
    ]


def spark() -> list[Service]:
    """A standalone master, two workers, and the lake job as a driver submitting to the master."""
    master = Service(
        "cluster-spark-master",
        "spark",
        command=(
            *("spark-class", "org.apache.spark.deploy.master.Master", "--host", "cluster-spark-master"),
            *("--port", "7077", "--webui-port", "8080"),
        ),
        environment={"SPARK_LOCAL_HOSTNAME": "cluster-spark-master"},
        healthcheck=http_health(8080, "/json"),
    )
    workers = [
        Service(
            name,
            "spark",
            command=(
                *(
                    "spark-class",
                    "org.apache.spark.deploy.worker.Worker",
                    "spark://cluster-spark-master:7077",
                ),
                *("--host", name, "--cores", knob(ClusterSettings, "spark_worker_cores")),
                *("--memory", knob(ClusterSettings, "spark_worker_memory")),
                *("--work-dir", "/home/topsongs/spark-work", "--webui-port", "8081"),
            ),
            environment={"SPARK_LOCAL_HOSTNAME": name},
            depends_on=healthy(master.name),
            healthcheck=http_health(8081, "/"),
        )
        for name in ("cluster-spark-worker-1", "cluster-spark-worker-2")
    ]
    lake = programs.LAKE
    assert lake.port and lake.health_path
    job = Service(
        "cluster-lake",
        "spark",
        command=tuple(lake.argv(PYTHON)),
        environment={
            **kafka_env(lake.kafka_user),
            **env.s3(S3_ENDPOINT, LAKE_ACCOUNT),
            **env.lake(),
            "LAKE_SPARK_MASTER_URL": "spark://cluster-spark-master:7077",
            "LAKE_CORES_MAX": knob(ClusterSettings, "lake_cores_max"),
            "LAKE_EXECUTOR_MEMORY": knob(ClusterSettings, "lake_executor_memory"),
            "LAKE_DRIVER_MEMORY": "${LAKE_DRIVER_MEMORY:-1g}",
            "LAKE_JARS_DIR": "/opt/spark/jars",
            # The workers run the same image: they read the jars where they are, and none is shipped
            # to (and copied by) each executor (docs/lake.md).
            "LAKE_JARS_ON_WORKERS": "true",
            "LAKE_TRIGGER_INTERVAL": "${LAKE_TRIGGER_INTERVAL:-30 seconds}",
            "LAKE_UI_ENABLED": "true",
            # the address the executors on the workers call the driver back on
            "SPARK_LOCAL_HOSTNAME": "cluster-lake",
        },
        depends_on={**AFTER_KAFKA, **healthy(*(w.name for w in workers)), **completed("cluster-s3-init")},
        volumes=(CA,),
        settings=lake.settings,
        healthcheck=http_health(lake.port, lake.health_path, "120s"),
    )
    return [master, *workers, job]
