"""connected_statsd: Airflow loads it as its StatsD client, and it sends from a socket connected to
the StatsD address, so none of Airflow's processes receives on 0.0.0.0 (docs/security.md)."""

from __future__ import annotations

import os
import socket
import subprocess

from tests.airflow.conftest import AIRFLOW_PYTHON, REPO

# Airflow's own loader (which insists on a statsd.StatsClient), then one counter.
SEND = """
from airflow.observability.metrics.statsd_logger import get_statsd_logger
stats = get_statsd_logger()
stats.incr("exposure_probe")
sock = stats.statsd._sock
print(type(stats.statsd).__name__, *sock.getsockname()[:2], *sock.getpeername()[:2])
"""


def test_airflow_sends_metrics_from_a_connected_loopback_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as exporter:
        exporter.bind(("127.0.0.1", 0))
        port = exporter.getsockname()[1]
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "airflow" / "plugins"),
            "AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": "127.0.0.1",
            "AIRFLOW__METRICS__STATSD_PORT": str(port),
            "AIRFLOW__METRICS__STATSD_CUSTOM_CLIENT_PATH": "connected_statsd.ConnectedStatsClient",
        }
        sent = subprocess.run(
            [AIRFLOW_PYTHON, "-c", SEND], env=env, capture_output=True, text=True, timeout=120
        )
        assert sent.returncode == 0, sent.stderr
        # Airflow sends metrics of its own start first; all of them have arrived by now.
        exporter.settimeout(5)
        received = []
        while not any(b"exposure_probe" in datagram for datagram in received):
            received.append(exporter.recv(512))
    # Airflow logs to stdout too: the probe's line is the last.
    name, address, _, peer, peer_port = sent.stdout.splitlines()[-1].split()
    assert (name, address, peer, int(peer_port)) == ("ConnectedStatsClient", "127.0.0.1", "127.0.0.1", port)
    assert b"exposure_probe:1|c" in received[-1]
