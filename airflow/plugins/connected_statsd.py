"""Airflow's StatsD client on a connected UDP socket.

statsd's client sends with ``sendto`` from an unconnected socket, which the kernel binds to 0.0.0.0
on a random port: a socket that takes datagrams from any host. Connected to the StatsD address, it
is bound to the source address of that route (127.0.0.1 for devstack's exporter) and takes
datagrams from that peer only (docs/security.md). devstack names it in
AIRFLOW__METRICS__STATSD_CUSTOM_CLIENT_PATH.
"""

from __future__ import annotations

from typing import Any

from statsd import StatsClient


class ConnectedStatsClient(StatsClient):  # type: ignore[misc]
    """A StatsClient whose socket is connected to the StatsD server before its first send."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sock.connect(self._addr)
