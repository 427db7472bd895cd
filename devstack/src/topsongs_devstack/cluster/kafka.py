"""Three secured KRaft nodes (SASL_SSL, SCRAM-SHA-512, a local CA), the product's topics, per-service ACLs.

Clients and brokers (inter-broker traffic) use the SASL_SSL listener with SCRAM-SHA-512; the controller
listener is SSL with client certificates required (mutual TLS: the KRaft controller cannot check
SCRAM, whose credentials live in the very metadata log it serves), so only the three nodes reach it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from ingest.kafka_setup import KafkaSetupError, ensure_acls
from topsongs_core.kafka_options import aiokafka_connection
from topsongs_core.settings import KafkaSettings

from topsongs_devstack.apps import write_targets
from topsongs_devstack.certificates import make_ca, pem_keystore, sign
from topsongs_devstack.cluster.settings import (
    KAFKA_USERS,
    ClusterSettings,
    kafka_password,
    service_kafka_settings,
)
from topsongs_devstack.component import Component, Status, side_by_side
from topsongs_devstack.kafka import Kafka, answers, ensure_topics, new_cluster_id
from topsongs_devstack.process import PlatformError, port_open, wait_until

CA_DAYS = 825
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
# The nodes start side by side: one at a time makes the CA, the quorum's ids and the users' passwords
# that every node's format must share (two threads would each write their own).
_SETUP = threading.Lock()


def node_principal(index: int) -> str:
    """The principal a node authenticates as on the controller listener (its certificate's subject)."""
    return f"User:CN=kafka-{index}"


def cluster_topics(settings: ClusterSettings) -> KafkaSettings:
    """The admin's settings with the product's topics (named by ``KAFKA_*``, as the services read them)."""
    return service_kafka_settings(settings, "admin")


def _ensure_tls(settings: ClusterSettings) -> None:
    folder = settings.secrets_dir
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    ca = make_ca(folder, "topsongs-cluster-ca", CA_DAYS)
    for index, host in enumerate(settings.kafka_hosts, start=1):
        name = f"kafka-{index}"
        if not (folder / f"{name}-keystore.pem").exists():
            cert, key = sign(folder, name, ca, f"IP:{host}", CA_DAYS)
            pem_keystore(cert, key, folder / f"{name}-keystore.pem")


def _quorum(settings: ClusterSettings) -> dict[str, str]:
    # One cluster id and one metadata directory id per node, fixed at set-up (not secrets).
    path = settings.state_dir / "kafka-quorum.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ids = {
            "cluster": new_cluster_id(),
            **{str(i): new_cluster_id() for i in range(1, len(settings.kafka_hosts) + 1)},
        }
        path.write_text(json.dumps(ids))
    quorum: dict[str, str] = json.loads(path.read_text())
    return quorum


class KafkaNode:
    """One combined broker/controller of the three."""

    def __init__(self, settings: ClusterSettings, index: int) -> None:
        self.settings = settings
        self.index = index
        self.name = f"kafka-{index}"
        self.host = settings.kafka_hosts[index - 1]
        self.endpoint = f"{self.host}:{settings.kafka_port}"

    def broker(self) -> Kafka:
        """The devstack broker class set up as this node (reads the generated secrets)."""
        settings, ctl = self.settings, self.settings.kafka_controller_port
        quorum = _quorum(settings)
        hosts = settings.kafka_hosts
        admin_pw = kafka_password(settings, "admin").get_secret_value()
        secrets = settings.secrets_dir
        nodes = range(1, len(hosts) + 1)
        properties = {
            "node.id": str(self.index),
            "controller.quorum.bootstrap.servers": ",".join(f"{h}:{ctl}" for h in hosts),
            "listeners": f"SASL_SSL://{self.endpoint},CONTROLLER://{self.host}:{ctl}",
            "advertised.listeners": f"SASL_SSL://{self.endpoint}",
            "inter.broker.listener.name": "SASL_SSL",
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,CONTROLLER:SSL",
            "listener.name.controller.ssl.client.auth": "required",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required"
                f' username="admin" password="{admin_pw}";'
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(secrets / f"{self.name}-keystore.pem"),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(settings.ca_file),
            "authorizer.class.name": AUTHORIZER,
            "super.users": ";".join(["User:admin", *(node_principal(i) for i in nodes)]),
            "allow.everyone.if.no.acl.found": "false",
            "auto.create.topics.enable": "false",
            "num.partitions": str(settings.kafka_partitions),
            "default.replication.factor": str(len(hosts)),
            "min.insync.replicas": "2",
            "offsets.topic.replication.factor": str(len(hosts)),
            "transaction.state.log.replication.factor": str(len(hosts)),
            "transaction.state.log.min.isr": "2",
            "share.coordinator.state.topic.replication.factor": str(len(hosts)),
            "share.coordinator.state.topic.min.isr": "2",
        }
        users = [
            f"SCRAM-SHA-512=[name={u},password={kafka_password(settings, u).get_secret_value()}]"
            for u in KAFKA_USERS
        ]
        return Kafka(
            settings.devstack(),
            service_kafka_settings(settings, "admin", bootstrap_servers=self.endpoint),
            properties=properties,
            # Every node's bootstrap metadata holds the same users; the format runs from a 0600
            # argument file, so the passwords never reach a command line.
            format_args=[arg for user in users for arg in ("--add-scram", user)],
            name=self.name,
            metrics_port=settings.kafka_metrics_port,
            initial_controllers=",".join(f"{i}@{hosts[i - 1]}:{ctl}:{quorum[str(i)]}" for i in nodes),
            cluster_id=quorum["cluster"],
        )

    def install(self) -> None:
        """Fetch the broker jars and the JMX exporter agent (shared with the single-node profile's cache)."""
        port = self.settings.kafka_metrics_port
        Kafka(self.settings.devstack(), KafkaSettings(), metrics_port=port).install()

    def up(self) -> None:
        """Make the CA and certificates once, format once, start the node, wait for its controller port.

        Safe beside the other nodes' ``up`` (the profile starts the three side by side). The client
        listener opens only once a quorum has formed: the cluster component waits for that.
        """
        with _SETUP:
            _ensure_tls(self.settings)
            broker = self.broker()
            broker.install()  # the jars, shared by the nodes (fetched on the first run only)
        broker.start()
        broker.proc.wait_healthy(
            lambda: port_open(self.host, self.settings.kafka_controller_port),
            self.settings.start_timeout_s,
            f"Kafka node {self.index}",
        )
        # Scraped as job kafka-<index> (the broker's ``down`` removes the file).
        exporter = f"{self.host}:{self.settings.kafka_metrics_port}"
        write_targets(self.settings.devstack(), self.name, [exporter])

    def down(self) -> None:
        """Stop the node (controlled shutdown)."""
        if self.secrets_ready():
            self.broker().down()

    def secrets_ready(self) -> bool:
        """Whether set-up has made this node's secrets (before that there is nothing to run or ask)."""
        return (self.settings.secrets_dir / f"{self.name}-keystore.pem").exists()

    def status(self) -> Status:
        """Healthy when the node answers the admin's metadata request on its own address."""
        if not self.secrets_ready():
            return Status(self.name, False, self.endpoint, "not set up")
        kafka = service_kafka_settings(self.settings, "admin", bootstrap_servers=self.endpoint)
        healthy = port_open(self.host, self.settings.kafka_port) and asyncio.run(answers(kafka))
        return Status(self.name, healthy, self.endpoint, f"node {self.index}, broker+controller")


def controller_leader(settings: ClusterSettings) -> int | None:
    """The active controller, as the nodes' quorum-state files record it (the newest epoch wins)."""
    best: tuple[int, int] | None = None
    for index in range(1, len(settings.kafka_hosts) + 1):
        path = settings.state_dir / f"kafka-{index}" / "data" / "__cluster_metadata-0" / "quorum-state"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        leader, epoch = state.get("leaderId", -1), state.get("leaderEpoch", -1)
        if leader >= 0 and (best is None or epoch > best[1]):
            best = (leader, epoch)
    return best[0] if best else None


@dataclass(frozen=True)
class ClusterHealth:
    """What the admin sees of the whole cluster."""

    brokers: int
    topics: int
    under_replicated: int


async def cluster_health(kafka: KafkaSettings) -> ClusterHealth:
    """Live brokers, topics (internal ones too) and partitions whose in-sync set is short of its replicas."""
    admin = AIOKafkaAdminClient(**aiokafka_connection(kafka), request_timeout_ms=5000)
    try:
        await asyncio.wait_for(admin.start(), 10)
        cluster = await asyncio.wait_for(admin.describe_cluster(), 10)
        topics = await asyncio.wait_for(admin.describe_topics(), 10)
    finally:
        await admin.close()
    short = sum(
        1 for topic in topics for part in topic["partitions"] if len(part["isr"]) < len(part["replicas"])
    )
    return ClusterHealth(len(cluster["brokers"]), len(topics), short)


class KafkaCluster:
    """The three nodes as one: all registered, the product's topics replicated, the services' ACLs."""

    name = "kafka"

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings

    def install(self) -> None:
        """Nothing beyond the nodes' jars."""

    def up(self) -> None:
        """Wait for the brokers, add the topics (RF 3, min ISR 2) and ACLs, wait until all replicas sync."""
        kafka = cluster_topics(self.settings)
        expected = len(self.settings.kafka_hosts)
        wait_until(
            lambda: self._healthy(kafka, expected, in_sync=False),
            self.settings.start_timeout_s,
            "Kafka brokers",
        )
        asyncio.run(ensure_topics(kafka))
        self._add_acls(kafka)
        # After an unclean stop a node re-registers only once its old session expires, and then catches up.
        wait_until(
            lambda: self._healthy(kafka, expected, in_sync=True), self.settings.start_timeout_s, "Kafka ISR"
        )

    def _add_acls(self, kafka: KafkaSettings) -> None:
        try:
            asyncio.run(ensure_acls(kafka, self.settings.streams_app_id))
        except KafkaSetupError as exc:  # AclRefused included
            raise PlatformError(str(exc)) from exc

    def _healthy(self, kafka: KafkaSettings, expected: int, *, in_sync: bool) -> bool:
        try:
            health = asyncio.run(cluster_health(kafka))
        except Exception:
            return False
        return health.brokers == expected and (not in_sync or health.under_replicated == 0)

    def down(self) -> None:
        """Stop every node at once (their own ``down`` then finds nothing to do).

        One at a time, the last node would have no quorum left to acknowledge its controlled shutdown
        and would hang until killed.
        """
        running = [node for node in nodes_of(self.settings) if node.secrets_ready()]
        side_by_side(lambda node: node.down(), running)

    def status(self) -> Status:
        """Brokers up, the active controller, under-replicated partitions (no secret in it)."""
        endpoint = self.settings.kafka_bootstrap_servers
        if not (self.settings.secrets_dir / "kafka-admin.password").exists():
            return Status(self.name, False, endpoint, "not set up")
        try:
            health = asyncio.run(cluster_health(cluster_topics(self.settings)))
        except Exception as exc:
            return Status(self.name, False, endpoint, f"unreachable ({type(exc).__name__})")
        leader = controller_leader(self.settings)
        expected = len(self.settings.kafka_hosts)
        detail = (
            f"{health.brokers}/{expected} brokers, controller leader: node {leader}, "
            f"{health.under_replicated} under-replicated partitions, {health.topics} topics"
        )
        healthy = health.brokers == expected and health.under_replicated == 0
        return Status(self.name, healthy, endpoint, detail)


def nodes_of(settings: ClusterSettings) -> list[KafkaNode]:
    """The broker/controller nodes, by node id."""
    return [KafkaNode(settings, i) for i in range(1, len(settings.kafka_hosts) + 1)]


def nodes(settings: ClusterSettings) -> list[Component]:
    """The three nodes in start order, then the cluster-wide topics and ACLs."""
    return [*nodes_of(settings), KafkaCluster(settings)]
