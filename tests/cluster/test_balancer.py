"""haproxy in front of ingest on its own: when no server is left it answers 503 with Retry-After by
itself, it stamps an Idempotency-Key, and it caps the connections one client address holds open.

The balanced services under load (a killed ingest process, two Faust workers, dashboard-api through
the balancer) are tested on the whole profile by tests/cluster/test_faults.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from pathlib import Path

import httpx
import pytest
from simulator.standin import StandinIngest
from topsongs_devstack.cluster.balancer import Balancer, Pool
from topsongs_devstack.cluster.settings import ClusterSettings
from topsongs_devstack.process import free_port


async def test_no_server_left_is_a_503_with_retry_after(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Servers on ports nothing listens on: haproxy marks them DOWN and answers by itself.
    settings = ClusterSettings(state_dir=Path(tmp_path_factory.mktemp("lb")), start_timeout_s=20)
    pool = Pool("ingest", ("127.0.1.20", free_port()), [("ingest-1", "127.0.1.21", free_port())])
    lb = Balancer(settings.devstack(), [pool])
    try:
        lb.up()
        deadline = time.monotonic() + 10
        while lb.servers() != {"ingest/ingest-1": "DOWN"}:
            assert time.monotonic() < deadline, f"ingest-1 DOWN within 10 s: {lb.servers()}"
            await asyncio.sleep(0.05)
        assert not lb.status().healthy
        async with httpx.AsyncClient(base_url=f"http://127.0.1.20:{pool.bind[1]}") as client:
            resp = await client.post("/plays", json={"events": []})
        assert resp.status_code == 503
        assert resp.headers["retry-after"] == "1"
        assert lb.answered_5xx("ingest") == 1
    finally:
        lb.down()


async def test_the_ingest_pool_stamps_an_idempotency_key_on_requests_without_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """So a resend by haproxy's `retry-on` carries the key, and ingest gives it the first try's ids."""
    settings = ClusterSettings(state_dir=Path(tmp_path_factory.mktemp("lb-key")), start_timeout_s=20)
    async with StandinIngest(status=200, record=True) as ingest:
        pool = Pool(
            "ingest",
            ("127.0.0.1", free_port()),
            [("ingest-1", "127.0.0.1", ingest.port)],
            stamp_idempotency_key=True,
        )
        lb = Balancer(settings.devstack(), [pool])
        try:
            await asyncio.to_thread(lb.up)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{pool.bind[1]}") as client:
                for key in (None, "the-client's-own"):
                    headers = {} if key is None else {"Idempotency-Key": key}
                    resp = await client.post("/plays", json={"events": []}, headers=headers)
                    assert resp.status_code == 200
        finally:
            lb.down()
    posts = zip(ingest.bodies, ingest.headers, strict=True)
    stamped, own = [headers["idempotency-key"] for (path, _), headers in posts if path == "/plays"]
    assert uuid.UUID(stamped).version == 4
    assert own == "the-client's-own"


async def test_a_client_address_beyond_its_connection_cap_is_closed_and_others_are_served(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The front end's per-address cap: 127.0.0.1 holding its 2 connections idle gets its third closed
    unanswered, 127.0.0.2 is served meanwhile, and 127.0.0.1 is served again once one is closed."""
    settings = ClusterSettings(state_dir=Path(tmp_path_factory.mktemp("lb-cap")), start_timeout_s=20)
    async with StandinIngest(status=200) as ingest:
        pool = Pool(
            "ingest",
            ("127.0.0.1", free_port()),
            [("ingest-1", "127.0.0.1", ingest.port)],
            max_connections_per_address=2,
        )
        lb = Balancer(settings.devstack(), [pool], metrics=("127.0.0.1", free_port()))
        url = f"http://127.0.0.1:{pool.bind[1]}/plays"

        async def post_from(address: str) -> int:
            transport = httpx.AsyncHTTPTransport(local_address=address)
            async with httpx.AsyncClient(transport=transport, timeout=5) as client:
                return (await client.post(url, json={"events": []})).status_code

        try:
            await asyncio.to_thread(lb.up)
            assert await post_from("127.0.0.1") == 200
            idle = [await asyncio.open_connection(*pool.bind) for _ in range(2)]
            with pytest.raises(httpx.TransportError):
                await post_from("127.0.0.1")
            assert await post_from("127.0.0.2") == 200
            _, writer = idle.pop()
            writer.close()
            await writer.wait_closed()
            deadline = time.monotonic() + 5
            while True:  # haproxy counts the close when it reads it
                try:
                    assert await post_from("127.0.0.1") == 200
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "a freed place served within 5 s"
                    await asyncio.sleep(0.1)
            for _, writer in idle:
                writer.close()
            # haproxy's exporter counts the refused connection under its front end.
            assert lb.metrics is not None
            async with httpx.AsyncClient() as client:
                scrape = (await client.get(f"http://127.0.0.1:{lb.metrics[1]}/metrics")).text
            assert 'haproxy_frontend_denied_connections_total{proxy="ingest"} 1' in scrape, scrape[:2000]
        finally:
            lb.down()


async def test_a_request_trickled_a_line_at_a_time_is_cut_off_at_the_request_timeout(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """haproxy's client timeout restarts with every byte: a head sent one line every 0.5 s would keep
    its connection for ever without `timeout http-request`. With 2 s it is answered 408 and closed
    while it is still trickling (the loop below would go on for 15 s), and others are served."""
    settings = ClusterSettings(state_dir=Path(tmp_path_factory.mktemp("lb-slow")), start_timeout_s=20)
    async with StandinIngest(status=200) as ingest:
        pool = Pool("ingest", ("127.0.0.1", free_port()), [("ingest-1", "127.0.0.1", ingest.port)])
        lb = Balancer(settings.devstack(), [pool], request_timeout_s=2)
        try:
            await asyncio.to_thread(lb.up)
            reader, writer = await asyncio.open_connection(*pool.bind)
            writer.write(b"POST /plays HTTP/1.1\r\nHost: x\r\n")
            answer = b""
            for line in range(30):
                await asyncio.sleep(0.5)
                try:
                    writer.write(b"X-%d: %d\r\n" % (line, line))
                    await writer.drain()
                except ConnectionError:
                    break
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.01):
                        answer += await reader.read(4096)
                if answer or reader.at_eof():
                    break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    answer += await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 408"), (line, answer[:200])
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{pool.bind[1]}") as client:
                assert (await client.post("/plays", json={"events": []})).status_code == 200
        finally:
            lb.down()
