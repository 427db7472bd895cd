"""Session fixtures of the cluster profile's tests: its Kafka part, in a private state dir on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from topsongs_devstack.cluster.kafka import nodes
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.process import free_port
from topsongs_devstack.stack import running


@pytest.fixture(scope="session")
def cluster_settings(tmp_path_factory: pytest.TempPathFactory) -> ClusterSettings:
    """The profile's settings with its own state dir and free ports (a `make cluster-up` may be running)."""
    settings = ClusterSettings(
        state_dir=tmp_path_factory.mktemp("cluster"),
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
    )
    assert settings.state_dir != ClusterSettings().state_dir
    return settings


@pytest.fixture(scope="session")
def kafka_cluster(cluster_settings: ClusterSettings) -> Iterator[ClusterSettings]:
    """Three secured KRaft nodes with the product's topics and ACLs, stopped at the end (also on failure)."""
    with running(nodes(cluster_settings)):
        yield cluster_settings
