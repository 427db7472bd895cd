"""Abuse limits of dashboard-api, served as devstack serves it: caps, inbound frames, clients that
stop reading, and the UI's security headers."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from aiokafka import AIOKafkaProducer
from dashboard_api.settings import DashboardSettings
from topsongs_core.live import Candidate, PartitionCandidates
from topsongs_core.settings import KafkaSettings, PostgresSettings
from topsongs_devstack.process import free_port
from websockets.exceptions import ConnectionClosed

from tests.dashboard_api.messages import us_5m
from tests.servers import serve_dashboard

TCP_ESTABLISHED, TCP_CLOSE = 1, 7


@pytest.fixture
async def settings(
    kafka_settings: KafkaSettings, pg_settings: PostgresSettings, tmp_path: Path
) -> AsyncIterator[DashboardSettings]:
    """Small caps and a fast keepalive, so each limit is reached quickly."""
    (tmp_path / "index.html").write_text("<!doctype html><title>ui</title>")
    yield DashboardSettings(
        port=free_port(),
        kafka=kafka_settings,
        postgres=pg_settings,
        ui_dist=tmp_path,
        live_max_clients_per_host=2,
        live_rate_hz=50,
        live_client_queue=10_000,
        live_ping_interval_s=0.5,
        live_ping_timeout_s=0.5,
    )


async def snapshot(ws: websockets.ClientConnection) -> dict:
    """The first message of a connection."""
    return orjson.loads(await asyncio.wait_for(ws.recv(), 30))


async def test_clients_over_the_per_address_cap_are_told_to_retry(settings: DashboardSettings):
    async with serve_dashboard(settings) as address:
        url = f"ws://{address}/ws/live?region=US&window=5m"
        async with websockets.connect(url) as first, websockets.connect(url) as second:
            assert (await snapshot(first))["type"] == (await snapshot(second))["type"] == "snapshot"
            async with websockets.connect(url) as third:
                with pytest.raises(ConnectionClosed) as refused:
                    await third.recv()
            assert refused.value.rcvd is not None and refused.value.rcvd.code == 1013
            assert "per address" in refused.value.rcvd.reason
        # Both left: their places are free again (the server notices a close asynchronously).
        for _ in range(100):
            async with websockets.connect(url) as again:
                try:
                    if (await snapshot(again))["type"] == "snapshot":
                        break
                except ConnectionClosed:
                    await asyncio.sleep(0.1)
        else:
            pytest.fail("the cap was not released after the clients left")


async def test_an_oversized_inbound_frame_closes_the_connection(settings: DashboardSettings):
    async with serve_dashboard(settings) as address:
        async with websockets.connect(f"ws://{address}/ws/live?region=US&window=5m") as ws:
            await snapshot(ws)
            await ws.send("x" * (settings.live_max_frame_bytes + 1))
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), 30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def tcp_state(sock: socket.socket) -> int:
    """The kernel's TCP state of ``sock`` (first byte of struct tcp_info)."""
    return struct.unpack("B", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1))[0]


def partials(n: int) -> bytes:
    """A chart-partials message with ten long titles whose counts change every time."""
    entries = [Candidate(song_id=f"s-{i}", title="t" * 200, artist="a" * 50, plays=n + i) for i in range(10)]
    return us_5m({"0": PartitionCandidates(late_dropped=0, entries=entries)}, partitions=6)


async def test_a_client_that_stops_reading_is_cut_off(settings: DashboardSettings):
    """uvicorn alone would wait for ever to flush to it: the socket must be reset, not kept."""
    async with serve_dashboard(settings) as address:
        host, port = address.split(":")
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window fills fast
        sock.setblocking(False)  # the server runs on this event loop
        await loop.sock_connect(sock, (host, int(port)))
        await loop.sock_sendall(
            sock,
            b"GET /ws/live?region=US&window=5m HTTP/1.1\r\nHost: " + address.encode() + b"\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += await loop.sock_recv(sock, 1)
        assert response.startswith(b"HTTP/1.1 101")
        # From here on the client reads nothing, while the chart changes 50 times a second.
        state = TCP_ESTABLISHED
        async with AIOKafkaProducer(bootstrap_servers=settings.kafka.bootstrap_servers) as producer:
            deadline = time.monotonic() + 60
            n = 0
            while state == TCP_ESTABLISHED and time.monotonic() < deadline:
                n += 1
                await producer.send_and_wait(settings.kafka.live_topic, partials(n))
                await asyncio.sleep(0.02)
                state = tcp_state(sock)
        sock.close()
    assert state == TCP_CLOSE, f"the server kept the connection (TCP state {state})"


async def test_security_headers_on_the_ui_and_the_api(settings: DashboardSettings):
    async with serve_dashboard(settings) as address, httpx.AsyncClient(base_url=f"http://{address}") as api:
        for path in ("/", "/healthz", "/api/top/hourly?region=US&date=2025-04-23&hour=14"):
            response = await api.get(path)
            assert response.headers["content-security-policy"].startswith("default-src 'self'"), path
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
        docs = await api.get("/docs")
        assert docs.status_code == 200
        assert "default-src" not in docs.headers["content-security-policy"]  # its inline script runs
