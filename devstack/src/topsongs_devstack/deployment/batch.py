"""The batch side of the single-node stack (chart tables, Airflow) and what `make demo` adds."""

from __future__ import annotations

from topsongs_charts.lake_accounts import AIRFLOW, CATALOG

from topsongs_devstack.deployment import env
from topsongs_devstack.deployment.env import secret_file, url_cmd
from topsongs_devstack.deployment.model import Health, Publish, Service, completed, healthy, http_health
from topsongs_devstack.deployment.programs import CHARTS, SIMULATOR
from topsongs_devstack.deployment.single import AIRFLOW_PORT, STATSD
from topsongs_devstack.services.airflow import RETRY_DELAY_S, statsd_env

API_SERVER_PORT = 8080
# AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK serves /health here
SCHEDULER_HEALTH_PORT = 8974
ADMIN_PASSWORD_FILE = "/opt/airflow/passwords.json"
# task logs, which the api-server shows
LOGS = ("airflow-logs:/opt/airflow/logs",)


def airflow_env(
    api_server: str = "airflow-api-server",
    postgres: str = "postgres",
    statsd: tuple[str, int] | None = STATSD,
) -> dict[str, str | None]:
    """Airflow's own settings and the shared ones its tasks read (the charts' lake wait compares the
    lake's progress with Kafka's end offsets); with ``statsd``, its metrics sent there."""
    metrics: dict[str, str | None] = {}
    if statsd is not None:
        # the folder of the connected StatsD client (the image's default plugins folder is empty)
        metrics = {"AIRFLOW__CORE__PLUGINS_FOLDER": "/opt/topsongs/airflow/plugins", **statsd_env(*statsd)}
    return {
        **metrics,
        **env.kafka(),
        **env.postgres(),
        **env.s3(account=AIRFLOW),
        **env.contract(),
        **env.lake(),
        "CHARTS_TOP_N": "${CHARTS_TOP_N:-10}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_FOLDER": "/opt/topsongs/airflow/dags",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        # one login, admin, whose password is AIRFLOW_ADMIN_PASSWORD (the api-server writes the file)
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": ADMIN_PASSWORD_FILE,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{api_server}:{API_SERVER_PORT}/execution/",
        "AIRFLOW__CORE__FERNET_KEY": "${AIRFLOW_FERNET_KEY:-}",
        # Airflow's sensitive options through `_CMD` (it runs them at start, without a shell): the
        # secrets are files compose makes (env.secret_file), in no container's environment.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": url_cmd(
            "postgresql+psycopg2://${PG_USER:-topsongs}:",
            "PG_PASSWORD_URLENCODED",
            f"@{postgres}:5432/airflow",
        ),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY_CMD": f"cat {secret_file('AIRFLOW_API_SECRET_KEY')}",
        "AIRFLOW__API_AUTH__JWT_SECRET_CMD": f"cat {secret_file('AIRFLOW_JWT_SECRET')}",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # The DAGs set retries only; the wait between tries is this (seconds), as devstack sets it.
        "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": str(RETRY_DELAY_S),
    }


def schema_step(name: str, command: tuple[str, ...]) -> Service:
    """A one-shot step of the Airflow image that migrates a schema once PostgreSQL answers."""
    return Service(
        name,
        "airflow",
        command=command,
        environment=airflow_env(),
        # StatsD's host must resolve when Airflow starts its client; every Airflow service of the
        # single node runs after airflow-init
        depends_on=healthy("postgres", STATSD[0]),
        volumes=LOGS,
        settings=CHARTS,
    )


def api_server_health() -> Health:
    """The API server's monitor endpoint."""
    return http_health(API_SERVER_PORT, "/api/v2/monitor/health", "60s")


def scheduler_health() -> Health:
    """The scheduler's own health server."""
    return http_health(SCHEDULER_HEALTH_PORT, "/health", "60s")


def dag_processor_health() -> Health:
    """The DAG processor has no server: its job's heartbeat in the metadata database."""
    check = ("CMD", "airflow", "jobs", "check", "--job-type", "DagProcessorJob", "--local")
    return Health(check, start_period="60s", timeout="30s")


def airflow() -> list[Service]:
    """The chart tables, Airflow's metadata schema, its api-server, scheduler and DAG processor."""
    after_init = completed("airflow-init")
    # the simple auth manager's passwords file, written from the environment at each start
    write_passwords = (
        "python -c 'import json, pathlib, sys;"
        ' print(json.dumps({"admin": pathlib.Path(sys.argv[1]).read_text().strip()}))\''
        f" {secret_file('AIRFLOW_ADMIN_PASSWORD')} > {ADMIN_PASSWORD_FILE}\n"
        f"exec airflow api-server --port {API_SERVER_PORT}\n"
    )
    return [
        schema_step("charts-migrate", ("python", "-m", "topsongs_charts.migrate")),
        schema_step("airflow-init", ("airflow", "db", "migrate")),
        Service(
            "airflow-api-server",
            "airflow",
            command=("bash", "-ec", write_passwords),
            environment=airflow_env(),
            depends_on={**after_init, **completed("charts-migrate")},
            ports=(Publish("PUBLISH_AIRFLOW_PORT", AIRFLOW_PORT, API_SERVER_PORT),),
            healthcheck=api_server_health(),
            volumes=LOGS,
            settings=CHARTS,
        ),
        Service(
            "airflow-scheduler",
            "airflow",
            command=("airflow", "scheduler"),
            environment=airflow_env(),
            # the hourly ETL enriches plays from the catalog: it is in the lake before any run
            depends_on={
                **after_init,
                **healthy("airflow-api-server"),
                **completed("s3-init", "catalog-upload"),
            },
            healthcheck=scheduler_health(),
            volumes=LOGS,
            settings=CHARTS,
        ),
        Service(
            "airflow-dag-processor",
            "airflow",
            command=("airflow", "dag-processor"),
            environment=airflow_env(),
            depends_on=after_init,
            healthcheck=dag_processor_health(),
            volumes=LOGS,
            settings=CHARTS,
        ),
    ]


def demo() -> list[Service]:
    """The catalog (always: the hourly ETL enriches plays from it); profile demo adds the backfill of
    the past DEMO_BACKFILL_HOURS and the live load (DEMO_RATE plays/s for DEMO_DURATION)."""
    # The upload writes the catalog with the catalog's own S3 key (write-only, its prefix).
    simulator = {**env.s3(account=CATALOG), **env.contract()}
    # The backfill and the load post through ingest, which requires its API key; they touch no S3.
    poster = {**env.contract(), "SIMULATOR_INGEST_API_KEY_FILE": env.secret_file("INGEST_API_KEY")}
    ingest_url = ("--ingest-url", "http://ingest:8000", "--seed", "7")
    backfill = ("backfill", "--hours", "${DEMO_BACKFILL_HOURS:-24}", *ingest_url)
    load = ("run", "--rate", "${DEMO_RATE:-200}", "--duration", "${DEMO_DURATION:-10m}", *ingest_url)
    restate = "python -m topsongs_charts.progress --wait 300\nairflow dags trigger plays_restatement\n"
    return [
        Service(
            "catalog-upload",
            "simulator",
            command=("catalog", "--upload"),
            environment=simulator,
            settings=SIMULATOR,
            depends_on=completed("s3-init"),
        ),
        Service(
            "backfill",
            "simulator",
            command=backfill,
            environment=poster,
            settings=SIMULATOR,
            depends_on={**healthy("ingest"), **completed("catalog-upload")},
            profiles=("demo",),
        ),
        Service(
            "backfill-restate",
            "airflow",
            command=("bash", "-ec", restate),
            environment=airflow_env(),
            depends_on={**completed("backfill"), **healthy("airflow-scheduler")},
            volumes=LOGS,
            settings=CHARTS,
            profiles=("demo",),
            doc="Once the lake holds the backfill, restate its hours at once, not at the next 5-minute tick.",
        ),
        Service(
            "load",
            "simulator",
            command=load,
            environment=poster,
            settings=SIMULATOR,
            depends_on=completed("backfill"),
            profiles=("demo",),
        ),
    ]
