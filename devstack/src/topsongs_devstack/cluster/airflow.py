"""Airflow on the cluster profile: the CeleryExecutor, Debian's redis-server as its broker, a separate
Celery worker, task results in the metadata database, the same DAGs as `make up`."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr
from topsongs_charts.lake_accounts import AIRFLOW
from topsongs_core.settings import PostgresSettings

from topsongs_devstack.cluster.settings import ClusterSettings, service_kafka_env
from topsongs_devstack.component import Component, Status
from topsongs_devstack.objectstore import lake_accounts
from topsongs_devstack.process import wait_until
from topsongs_devstack.redis_server import RedisServer
from topsongs_devstack.redis_server import redis_password as server_password
from topsongs_devstack.services.airflow import USER, Airflow

# A heartbeat older than this means the scheduler is stuck or gone (Airflow's default
# [scheduler] scheduler_health_check_threshold).
HEARTBEAT_LIMIT_S = 30.0


def redis_password(settings: ClusterSettings) -> SecretStr:
    """redis' `requirepass`, generated on first use into the secrets folder."""
    return server_password(settings.secrets_dir)


class Redis(RedisServer):
    """One redis-server: Airflow's Celery broker, password-protected, no persistence.

    No RDB/AOF: the broker holds only queued task messages; if they are lost, the scheduler queues
    the task instances again (`[scheduler] task_queued_timeout`), as every state lives in PostgreSQL.
    """

    def __init__(self, settings: ClusterSettings) -> None:
        super().__init__(
            "redis",
            settings.redis_host,
            settings.redis_port,
            state_dir=settings.state_dir / "redis",
            secrets_dir=settings.secrets_dir,
            run_dir=settings.run_dir,
            logs_dir=settings.logs_dir,
            start_timeout_s=settings.start_timeout_s,
            detail="Celery broker, password protected",
            label="cluster",
        )


class CeleryAirflow(Airflow):
    """devstack's Airflow with the CeleryExecutor and one `airflow celery worker` process."""

    def __init__(
        self,
        settings: ClusterSettings,
        redis: Redis,
        pg: PostgresSettings,
        database: str = "airflow",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        host, _, worker_host = settings.airflow_hosts
        # The worker's name at the broker, as a control ping addresses it.
        self.worker_name = f"airflow-worker@{worker_host}"
        worker = [
            "celery",
            "worker",
            "--concurrency",
            str(settings.airflow_worker_concurrency),
            "--celery-hostname",
            self.worker_name,
            # Task logs are files in the shared AIRFLOW_HOME, which the API server reads itself; the
            # log server would bind port 8793 on every interface, colliding with `make up`'s scheduler.
            "--skip-serve-logs",
        ]
        devstack = settings.devstack().model_copy(update={"airflow_port": settings.airflow_port})
        super().__init__(
            devstack,
            pg,
            database=database,
            extra_env=extra_env,
            executor="CeleryExecutor",
            host=host,
            extra_roles={"celery-worker": worker},
            # Every process's metrics, the Celery worker's tasks included, to the profile's exporter.
            statsd=(settings.statsd_host, settings.statsd_port),
        )
        self.redis = redis
        self.cluster = settings

    def up(self) -> None:
        """Start as devstack's Airflow does, then wait for what ``status`` calls healthy: a fresh
        scheduler heartbeat and the worker's answer through redis (the API server answers first)."""
        super().up()
        wait_until(
            lambda: self.status().healthy,
            self.settings.start_timeout_s,
            "airflow's scheduler heartbeat and Celery worker",
            self.procs["scheduler"].log_file,
        )

    def env(self) -> dict[str, str]:
        """devstack's Airflow configuration plus the Celery broker, the result backend, and when a task
        whose worker died is failed (timeout, checked how often) and retried."""
        return {
            **super().env(),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(
                self.cluster.airflow_task_heartbeat_timeout_s
            ),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": str(
                self.cluster.airflow_heartbeat_check_interval_s
            ),
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": str(self.cluster.airflow_retry_delay_s),
            # Both URLs hold a password: files, read through Airflow's `_CMD` options.
            "AIRFLOW__CELERY__BROKER_URL_CMD": self._from_file(
                self._url_file("broker_url", self.redis.url())
            ),
            "AIRFLOW__CELERY__RESULT_BACKEND_CMD": self._from_file(
                self._url_file("result_backend", self.pg.dsn(database=self.database, scheme="db+postgresql"))
            ),
        }

    def worker_pong(self) -> bool:
        """True when the Celery worker answers a ping sent through the broker: Celery's control API, as
        `celery inspect ping` sends it, without starting an Airflow process for each ask."""
        from celery import Celery  # the CeleryExecutor's own library, only where the profile runs

        app = Celery(broker=self.redis.url())
        try:
            replies = app.control.ping(destination=[self.worker_name], timeout=5)
        except Exception:  # the broker unreachable or refusing: no answer
            return False
        finally:
            app.close()
        return any(reply.get(self.worker_name, {}).get("ok") == "pong" for reply in replies)

    def heartbeat_age_s(self) -> float | None:
        """Seconds since the scheduler's last heartbeat (from the API server), None when unknown."""
        health = self.health()
        scheduler = health.get("scheduler") if health else None
        beat = scheduler.get("latest_scheduler_heartbeat") if isinstance(scheduler, dict) else None
        if not isinstance(beat, str):
            return None
        return (datetime.now(UTC) - datetime.fromisoformat(beat)).total_seconds()

    def status(self) -> Status:
        """Healthy when every process runs, the API server answers, the scheduler's heartbeat is fresh
        and the worker answers through redis. The admin password stays in its file."""
        stopped = [role for role, proc in self.procs.items() if proc.pid() is None]
        age = self.heartbeat_age_s()
        fresh = age is not None and age < HEARTBEAT_LIMIT_S
        # Without a broker Celery keeps retrying the connection: ask only when redis answers.
        pong = not stopped and self.redis.ping() and self.worker_pong()
        detail = "; ".join(
            [
                f"stopped: {', '.join(stopped)}" if stopped else f"running: {', '.join(self.procs)}",
                f"scheduler heartbeat {age:.0f} s ago" if age is not None else "no scheduler heartbeat",
                f"worker {self.worker_name} {'answers' if pong else 'does not answer'} ping",
                f"login {USER}, password in {self._passwords}",
            ]
        )
        return Status(self.name, not stopped and fresh and pong, self.url, detail)


def postgres(settings: ClusterSettings) -> PostgresSettings:
    """The cluster's PostgreSQL node (the metadata database `airflow` is made by its bootstrap)."""
    return PostgresSettings(host=settings.postgres_host, port=settings.postgres_port)


def task_env(settings: ClusterSettings) -> dict[str, str]:
    """What the DAGs' tasks read on the cluster: its PostgreSQL, S3 store (with Airflow's own account)
    and Kafka (as the `lake` user, which may read `song-plays`, the topic whose end offsets the lake
    checks compare)."""
    return {
        "PG_HOST": settings.postgres_host,
        "PG_PORT": str(settings.postgres_port),
        "S3_ENDPOINT_URL": f"http://{settings.s3_host}:{settings.s3_port}",
        **lake_accounts(settings.devstack()).env(AIRFLOW),
        **service_kafka_env(settings, "lake"),
    }


def components(settings: ClusterSettings) -> list[Component]:
    """redis, then Airflow (api-server, scheduler, dag-processor, Celery worker)."""
    redis = Redis(settings)
    return [redis, CeleryAirflow(settings, redis, postgres(settings), extra_env=task_env(settings))]
