"""The cluster profile's services in containers: two ingest and two dashboard-api behind haproxy, two
streams workers in one consumer group, Airflow on Celery with redis."""

from __future__ import annotations

from collections.abc import Mapping

from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.deployment import env, programs
from topsongs_devstack.deployment.batch import (
    API_SERVER_PORT,
    airflow_env,
    api_server_health,
    dag_processor_health,
    scheduler_health,
)
from topsongs_devstack.deployment.cluster import (
    AFTER_KAFKA,
    CA,
    PUBLISH_AIRFLOW,
    PUBLISH_DASHBOARD,
    PUBLISH_INGEST,
    S3_ENDPOINT,
    kafka_env,
)
from topsongs_devstack.deployment.env import knob, optional, url_cmd
from topsongs_devstack.deployment.model import (
    Condition,
    Health,
    Publish,
    Service,
    completed,
    healthy,
    http_health,
)
from topsongs_devstack.deployment.single import PYTHON, STREAMS_DATA, allowed_origins

REDIS_PASSWORD = optional("CLUSTER_REDIS_PASSWORD")
PAIR = (1, 2)


def apps() -> list[Service]:
    """ingest and dashboard-api, one process each (the balancer spreads the load), then haproxy."""
    ingest, board = programs.INGEST, programs.DASHBOARD
    ingests = [
        Service(
            f"cluster-ingest-{n}",
            "ingest",
            command=tuple(ingest.argv(PYTHON, "0.0.0.0", ingest.port, None)),
            environment={
                **kafka_env(ingest.kafka_user),
                **env.contract(),
                **env.ingest(),
                **programs.BEHIND_BALANCER,
            },
            depends_on=AFTER_KAFKA,
            volumes=(CA,),
            settings=ingest.settings,
            healthcheck=http_health(ingest.port, ingest.health_path),
        )
        for n in PAIR
    ]
    boards = [
        Service(
            f"cluster-dashboard-api-{n}",
            "dashboard-api",
            command=tuple(board.argv(PYTHON, "0.0.0.0", board.port, None)),
            environment={
                **kafka_env(board.kafka_user),
                **env.postgres("cluster-postgres"),
                **env.contract(),
                **env.live(),
                **env.signin(),
                **programs.BEHIND_BALANCER,
                "DASHBOARD_UI_DIST": "/opt/topsongs/ui/dist",
                "DASHBOARD_ALLOWED_ORIGINS": allowed_origins(
                    "CLUSTER_PUBLISH_DASHBOARD_PORT", PUBLISH_DASHBOARD
                ),
            },
            depends_on={**AFTER_KAFKA, **healthy("cluster-postgres"), **completed("cluster-charts-migrate")},
            volumes=(CA,),
            settings=board.settings,
            healthcheck=http_health(board.port, board.health_path),
        )
        for n in PAIR
    ]
    # the monitor URI answers 200 while each pool has a server up
    monitor = (
        "exec 3<>/dev/tcp/127.0.0.1/8404 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3"
        " && head -n 1 <&3 | grep -q ' 200 '"
    )
    balancer = Service(
        "cluster-balancer",
        "haproxy",
        depends_on=healthy(*(s.name for s in [*ingests, *boards])),
        volumes=("./docker/haproxy/cluster.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro",),
        ports=(
            Publish("CLUSTER_PUBLISH_INGEST_PORT", PUBLISH_INGEST, ingest.port),
            Publish("CLUSTER_PUBLISH_DASHBOARD_PORT", PUBLISH_DASHBOARD, board.port),
        ),
        healthcheck=Health(("CMD", "bash", "-c", monitor)),
        doc="ingest and dashboard-api: two of each behind haproxy (docker/haproxy/cluster.cfg)",
    )
    return [*ingests, *boards, balancer]


def streams() -> list[Service]:
    """Two Faust workers sharing the plays partitions, each with its own data dir."""
    worker = programs.STREAMS
    assert worker.port and worker.health_path
    return [
        Service(
            f"cluster-streams-{n}",
            "streams",
            command=tuple(worker.argv(PYTHON, *programs.streams_args(STREAMS_DATA))),
            environment={
                **kafka_env(worker.kafka_user),
                **env.contract(),
                **env.live(),
                # one consumer group for both workers; the prefix the streams user's ACLs allow
                "STREAMS_APP_ID": knob(ClusterSettings, "streams_app_id"),
                "STREAMS_SESSION_TIMEOUT_S": knob(ClusterSettings, "streams_session_timeout_s"),
                "STREAMS_METRICS_PORT": str(worker.port),
            },
            depends_on=AFTER_KAFKA,
            volumes=(CA, f"cluster-streams-{n}-data:{STREAMS_DATA}"),
            settings=worker.settings,
            healthcheck=http_health(worker.port, worker.health_path, "60s"),
        )
        for n in PAIR
    ]


def cluster_airflow_env() -> dict[str, str | None]:
    """The single node's Airflow settings on the cluster's engines; tasks read Kafka as the lake user."""
    return {
        # no StatsD server in the cluster profile
        **airflow_env("cluster-airflow-api-server", "cluster-postgres", statsd=None),
        **kafka_env(programs.LAKE.kafka_user),
        "PG_HOST": "cluster-postgres",
        "S3_ENDPOINT_URL": S3_ENDPOINT,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        # A task whose Celery worker died is failed once its heartbeat is this old, then retried.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": knob(
            ClusterSettings, "airflow_task_heartbeat_timeout_s"
        ),
        "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": knob(ClusterSettings, "airflow_retry_delay_s"),
        "AIRFLOW__CELERY__BROKER_URL_CMD": url_cmd(
            "redis://:", "CLUSTER_REDIS_PASSWORD", "@cluster-redis:6379/0"
        ),
        "AIRFLOW__CELERY__RESULT_BACKEND_CMD": url_cmd(
            "db+postgresql://${PG_USER:-topsongs}:",
            "PG_PASSWORD_URLENCODED",
            "@cluster-postgres:5432/airflow",
        ),
    }


def _airflow(
    name: str,
    command: tuple[str, ...],
    depends_on: Mapping[str, Condition],
    healthcheck: Health | None = None,
    ports: tuple[Publish, ...] = (),
) -> Service:
    return Service(
        name,
        "airflow",
        command,
        cluster_airflow_env(),
        depends_on,
        healthcheck,
        ports,
        volumes=("cluster-airflow-logs:/opt/airflow/logs", CA),
        settings=programs.CHARTS,
    )


def airflow() -> list[Service]:
    """redis as the Celery broker, the chart tables, then Airflow's processes and a Celery worker."""
    # password from .env, in a config file, not on the command line; no persistence: every state
    # is in PostgreSQL
    redis_conf = (
        '[ -n "$$REDIS_PASSWORD" ] || { echo "CLUSTER_REDIS_PASSWORD is empty: set it in .env'
        ' (see .env.example)" >&2; exit 1; }\n'
        "umask 077\n"
        'printf \'requirepass "%s"\\nsave ""\\nappendonly no\\n\' "$$REDIS_PASSWORD" > /tmp/redis.conf\n'
        "exec redis-server /tmp/redis.conf\n"
    )
    redis = Service(
        "cluster-redis",
        "redis",
        command=("/bin/sh", "-ec", redis_conf),
        environment={"REDIS_PASSWORD": REDIS_PASSWORD},
        healthcheck=Health(("CMD-SHELL", 'REDISCLI_AUTH="$$REDIS_PASSWORD" redis-cli ping | grep -q PONG')),
        doc="Debian's redis-server 7.0 (BSD-3-Clause), as devstack's cluster profile runs it",
    )
    after_init = completed("cluster-airflow-init")
    runtime = {
        **AFTER_KAFKA,
        **after_init,
        **healthy("cluster-airflow-api-server", "cluster-redis"),
        **completed("cluster-s3-init"),
    }
    concurrency = str(ClusterSettings.model_fields["airflow_worker_concurrency"].default)
    # the worker answers a ping sent through redis
    celery_app = "airflow.providers.celery.executors.celery_executor.app"
    ping = f'celery --app {celery_app} inspect ping -d "celery@$${{HOSTNAME}}"'
    return [
        redis,
        _airflow(
            "cluster-charts-migrate", ("python", "-m", "topsongs_charts.migrate"), healthy("cluster-postgres")
        ),
        _airflow("cluster-airflow-init", ("airflow", "db", "migrate"), healthy("cluster-postgres")),
        _airflow(
            "cluster-airflow-api-server",
            ("airflow", "api-server", "--port", str(API_SERVER_PORT)),
            {**after_init, **completed("cluster-charts-migrate")},
            ports=(Publish("CLUSTER_PUBLISH_AIRFLOW_PORT", PUBLISH_AIRFLOW, API_SERVER_PORT),),
            healthcheck=api_server_health(),
        ),
        _airflow(
            "cluster-airflow-scheduler", ("airflow", "scheduler"), runtime, healthcheck=scheduler_health()
        ),
        _airflow(
            "cluster-airflow-dag-processor",
            ("airflow", "dag-processor"),
            after_init,
            healthcheck=dag_processor_health(),
        ),
        # Task logs go to the shared volume the api-server reads, so the worker serves none itself.
        _airflow(
            "cluster-airflow-worker",
            ("airflow", "celery", "worker", "--concurrency", concurrency, "--skip-serve-logs"),
            runtime,
            healthcheck=Health(("CMD-SHELL", ping), start_period="60s", timeout="20s"),
        ),
    ]
