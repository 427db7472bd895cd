"""Query-parameter, raw HTTP and WebSocket frame fuzz of dashboard-api as devstack runs it (uvicorn
in its own process, the live protocol's flags, real Kafka and PostgreSQL): a 4xx or a WebSocket
close code for every bad input, never a server error, a traceback in its log, or a server left
unhealthy."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest.kafka_setup import drop_topics
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port
from topsongs_devstack.services import dashboard

from tests.raw_http import exchange, frame, frame_header, read_frame, request, server_errors, upgrade

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
LIVE = "/ws/live?region=US&window=5m"
# Request deadlines short enough to be reached here (topsongs_core.http_protocol; 10 s and 60 s deployed).
SHORT_DEADLINES = {"SERVING_HEAD_TIMEOUT_S": "2", "SERVING_BODY_TIMEOUT_S": "2"}
# HTTP connections one address may hold (512 deployed); WebSockets leave that count once upgraded.
CONNECTION_CAP = 8


@dataclass(frozen=True)
class Dashboard:
    """A running dashboard-api process: where it listens and its log."""

    port: int
    log: Path

    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory, engines: None) -> AsyncIterator[Dashboard]:
    """One dashboard-api for the module, started by devstack's launcher on private topics."""
    kafka = private_topics("test-fuzz")
    await ensure_topics(kafka)
    devstack = DevstackSettings(state_dir=tmp_path_factory.mktemp("fuzz-dashboard"))
    env = {"KAFKA_PLAYS_TOPIC": kafka.plays_topic, "KAFKA_LIVE_TOPIC": kafka.live_topic, **SHORT_DEADLINES}
    env["SERVING_MAX_CONNECTIONS_PER_ADDRESS"] = str(CONNECTION_CAP)
    # A busy box must not turn a fuzz case into the history's deliberate 503 (tested on its own).
    env |= {"DASHBOARD_HISTORY_STATEMENT_TIMEOUT_S": "120", "DASHBOARD_HISTORY_ACQUIRE_TIMEOUT_S": "120"}
    service = dashboard.service(devstack, port=free_port(), workers=1, env=env)
    service.up()
    try:
        yield Dashboard(service.port or 0, service.proc.log_file)
    finally:
        service.down()
        await drop_topics(kafka)


@pytest.fixture
def quiet_log(api: Dashboard) -> Iterator[None]:
    """Fails the test if the server logged a traceback or an error while it ran."""
    start = api.log.stat().st_size
    yield
    assert server_errors(api.log, start) == []


@pytest.fixture(scope="module")
def connection(api: Dashboard) -> Iterator[httpx.Client]:
    """A keep-alive client."""
    with httpx.Client(base_url=api.url(), timeout=30) as client:
        yield client


# --- query parameters -------------------------------------------------------------------------

ODD_TEXT = st.text(max_size=40) | st.sampled_from(
    ["", "\x00", "US\x00", "\ufeffUS", "us", "ＵＳ", "2025-04-23T14:00+14:00", "2025-04-23T14:00-12:00",
     "2025-04-23T14:00+24:00", "2199-12-31T23:00-23:00", "1900-01-01T00:00+23:00", "9999-12-31",
     "2025-02-29", "2024-02-29", "1e400", "NaN", "-1", "a" * 200]
)  # fmt: skip
ROUTES = {
    "/api/top/hourly": ("region", "hour"),
    "/api/top/daily": ("region", "date"),
    "/api/trend": ("region", "song_id", "from", "to"),
    "/api/live": ("region", "window"),
}


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(sorted(ROUTES)), data=st.data())
def test_odd_query_parameters_get_200_or_a_422_naming_one(
    api: Dashboard, connection: httpx.Client, route: str, data: st.DataObject
) -> None:
    start = api.log.stat().st_size
    valid = {"region": "US", "hour": "2025-04-23T14:00Z", "date": "2025-04-23", "song_id": "s-1",
             "from": "2025-04-23T00:00Z", "to": "2025-04-24T00:00Z", "window": "5m"}  # fmt: skip
    names = ROUTES[route]
    params = [(name, valid[name]) for name in names]
    for name in data.draw(st.lists(st.sampled_from([*names, "extra"]), max_size=3, unique=True)):
        params = [(n, v) for n, v in params if n != name]
        params += [(name, value) for value in data.draw(st.lists(ODD_TEXT, max_size=2))]
    query = urlencode(params, quote_via=quote)
    response = connection.get(f"{route}?{query}")
    assert response.status_code in (200, 422), (query, response.text)
    if response.status_code == 422:
        for error in response.json()["detail"]:
            assert error["loc"][0] == "query" and error["loc"][1] in names, (query, error)
    assert server_errors(api.log, start) == []


# --- raw HTTP ---------------------------------------------------------------------------------

RAW = {
    "query of invalid UTF-8": (
        b"GET /api/regions?region=\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        {200, 400},
    ),
    "percent-encoded invalid UTF-8": (request("GET", "/api/top/daily?region=%ff%fe&date=2025-04-23"), {422}),
    "percent-encoded NUL in song_id": (
        request("GET", "/api/trend?region=US&song_id=a%00b&from=2025-04-23T00:00Z&to=2025-04-24T00:00Z"),
        {422},
    ),
    "parameter repeated": (request("GET", "/api/top/daily?region=US&region=ZZ&date=2025-04-23"), {200, 422}),
    "366-day trend": (
        request("GET", "/api/trend?region=US&song_id=s-1&from=2024-01-01T00:00Z&to=2025-01-01T00:00Z"),
        {200},
    ),
    "367-day trend": (
        request("GET", "/api/trend?region=US&song_id=s-1&from=2024-01-01T00:00Z&to=2025-01-02T00:00Z"),
        {422},
    ),
    "POST to a GET route": (request("POST", "/api/regions", body=b"{}"), {405}),
    "chunked body on a GET": (
        request("GET", "/api/regions", headers=[("Transfer-Encoding", "chunked")], body=b"zz\r\n"),
        {200, 400},
    ),
    "Content-Length negative": (request("GET", "/healthz", headers=[("Content-Length", "-1")]), {400}),
    "Content-Length and chunked": (
        request(
            "GET",
            "/healthz",
            headers=[("Content-Length", "3"), ("Transfer-Encoding", "chunked")],
            body=b"0\r\n\r\n",
        ),
        {400},
    ),
    "Range on the UI": (
        request("GET", "/", headers=[("Range", "bytes=5-1,-0,999999999999-")]),
        {200, 206, 404, 416},
    ),
    "path traversal": (request("GET", "/../../etc/passwd"), {404, 400}),
    "encoded path traversal": (request("GET", "/%2e%2e/%2e%2e/etc/passwd"), {404, 400}),
    "If-None-Match of 10 kB": (
        request("GET", "/api/regions", headers=[("If-None-Match", "x" * 10_000)]),
        {200, 304},
    ),
    "Accept-Encoding odd": (
        request("GET", "/api/regions", headers=[("Accept-Encoding", "gzip;q=NaN, *;q=-1")]),
        {200},
    ),
    "WebSocket route without upgrade": (request("GET", LIVE), {404, 400, 426}),
}


@pytest.mark.parametrize("name", list(RAW))
async def test_raw_http_gets_no_server_error(api: Dashboard, quiet_log: None, name: str) -> None:
    raw, allowed = RAW[name]
    answer = await exchange("127.0.0.1", api.port, raw)
    assert answer.statuses and set(answer.statuses) <= allowed, answer.raw[:600]


# --- WebSocket handshake and parameters -------------------------------------------------------

HANDSHAKES: dict[str, tuple[bytes, int]] = {
    # (request, the close code after the 101)
    "no region": (upgrade("/ws/live?window=5m"), 4400),
    "unknown region": (upgrade("/ws/live?region=ZZ&window=5m"), 4400),
    "region NUL": (upgrade("/ws/live?region=%00&window=5m"), 4400),
    "region invalid UTF-8": (upgrade("/ws/live?region=%ff&window=5m"), 4400),
    "region lower case": (upgrade("/ws/live?region=us&window=5m"), 4400),
    "parameters repeated": (upgrade("/ws/live?region=US&region=ZZ&window=5m&window=x"), 4400),
    "foreign Origin": (upgrade(LIVE, headers=[("Origin", "http://evil.example")]), 4403),
    "Origin null": (upgrade(LIVE, headers=[("Origin", "null")]), 4403),
    "Origin of Latin-1": (upgrade(LIVE, headers=[("Origin", "http://\xe9vil")]), 4403),
}
BAD_UPGRADES = {
    "target of 10 kB": upgrade("/ws/live?region=US&window=" + "9" * 10_000),
    "version 8": upgrade(LIVE, headers=[("Sec-WebSocket-Version", "8")]),
    "key not base64": request(
        "GET", LIVE, close=False,
        headers=[("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "!!"),
                 ("Sec-WebSocket-Version", "13")],
    ),
    "no key": request(
        "GET", LIVE, close=False,
        headers=[("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")],
    ),
    "extension offer garbage": upgrade(
        LIVE, headers=[("Sec-WebSocket-Extensions", "permessage-deflate; x=\"")]
    ),
    "subprotocol garbage": upgrade(LIVE, headers=[("Sec-WebSocket-Protocol", ",,, \x7f")]),
}  # fmt: skip


async def _open(
    api: Dashboard, raw: bytes, local_address: str | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """Send a handshake; returns the streams and the HTTP status the server answered."""
    local = (local_address, 0) if local_address else None
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port, local_addr=local)
    writer.write(raw)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    return reader, writer, int(head.split(b" ", 2)[1])


async def _close_code(reader: asyncio.StreamReader) -> tuple[int, str]:
    """Read frames until the server's close frame; its code and reason."""
    while True:
        opcode, payload = await read_frame(reader, 30)
        if opcode == CLOSE:
            return struct.unpack("!H", payload[:2])[0], payload[2:].decode()


@pytest.mark.parametrize("name", list(HANDSHAKES))
async def test_bad_parameters_close_the_socket_with_a_code(
    api: Dashboard, quiet_log: None, name: str
) -> None:
    raw, code = HANDSHAKES[name]
    reader, writer, status = await _open(api, raw)
    try:
        assert status == 101
        got, reason = await _close_code(reader)
        assert got == code, reason
        if code == 4400:
            assert reason.split(":")[0] in ("region", "window"), reason
    finally:
        writer.close()


@pytest.mark.parametrize("name", list(BAD_UPGRADES))
async def test_bad_upgrades_get_a_4xx_or_a_plain_socket(api: Dashboard, quiet_log: None, name: str) -> None:
    _, writer, status = await _open(api, BAD_UPGRADES[name])
    writer.close()
    assert status in (101, 400, 403, 414, 426, 431), status


# --- WebSocket frames -------------------------------------------------------------------------

MAX = 4096  # DASHBOARD_LIVE_MAX_FRAME_BYTES's default
FRAMES: dict[str, tuple[list[bytes], int | None]] = {
    # (frames sent after the snapshot, the close code the server answers; None: it stays open)
    "text": ([frame(TEXT, b"hello")], None),
    "binary": ([frame(BINARY, bytes(range(256)))], None),
    "empty text": ([frame(TEXT, b"")], None),
    "text at the limit": ([frame(TEXT, b"x" * MAX)], None),
    "unsolicited pong": ([frame(PONG, b"?")], None),
    "fragmented text": ([frame(TEXT, b"he", fin=False), frame(CONTINUATION, b"llo")], None),
    "ping inside a fragmented message": (
        [frame(TEXT, b"he", fin=False), frame(PING, b"p"), frame(CONTINUATION, b"llo")],
        None,
    ),
    "text over the limit": ([frame(TEXT, b"x" * (MAX + 1))], 1009),
    "16 MiB announced": ([frame_header(BINARY, 16 * 1024 * 1024) + b"x" * 1024], 1009),
    "2^63-1 announced": ([frame_header(TEXT, 2**63 - 1)], 1009),
    "fragments over the limit": (
        [frame(TEXT, b"x" * 2000, fin=False), frame(CONTINUATION, b"x" * 2000, fin=False),
         frame(CONTINUATION, b"x" * 2000)],
        1009,
    ),
    "invalid UTF-8 text": ([frame(TEXT, b"\xff\xfe")], 1007),
    "UTF-8 split across fragments": (
        [frame(TEXT, "é".encode()[:1], fin=False), frame(CONTINUATION, "é".encode()[1:])],
        None,
    ),
    "continuation without a start": ([frame(CONTINUATION, b"x")], 1002),
    "new message inside a fragmented one": ([frame(TEXT, b"a", fin=False), frame(TEXT, b"b")], 1002),
    "fragmented ping": ([frame(PING, b"p", fin=False)], 1002),
    "ping of 126 bytes": ([frame(PING, b"p" * 126)], 1002),
    "unmasked": ([frame(TEXT, b"x", masked=False)], 1002),
    "reserved opcode": ([frame(0x3, b"x")], 1002),
    "reserved control opcode": ([frame(0xB, b"x")], 1002),
    "RSV1 without an extension": ([frame(TEXT, b"x", rsv=4)], 1002),
    "garbage bytes": ([b"\xff" * 64], 1002),
    "close 1000": ([frame(CLOSE, struct.pack("!H", 1000) + b"bye")], 1000),
    "close 4000": ([frame(CLOSE, struct.pack("!H", 4000))], 4000),
    "close empty": ([frame(CLOSE, b"")], 1005),
    "close of one byte": ([frame(CLOSE, b"\x03")], 1002),
    "close 999": ([frame(CLOSE, struct.pack("!H", 999))], 1002),
    "close 1005 on the wire": ([frame(CLOSE, struct.pack("!H", 1005))], 1002),
    "close 5000": ([frame(CLOSE, struct.pack("!H", 5000))], 1002),
    "close reason invalid UTF-8": ([frame(CLOSE, struct.pack("!H", 1000) + b"\xff")], 1007),
    "1,000 pings": ([frame(PING, b"%d" % i) for i in range(1000)], None),
}  # fmt: skip


async def _next_control(reader: asyncio.StreamReader, timeout_s: float) -> tuple[int, bytes]:
    """The next control frame (close or pong), skipping the chart's text frames."""
    while True:
        opcode, payload = await read_frame(reader, timeout_s)
        if opcode in (CLOSE, PONG):
            return opcode, payload


@pytest.mark.parametrize("name", list(FRAMES))
async def test_frames_get_a_close_code_or_are_ignored(api: Dashboard, quiet_log: None, name: str) -> None:
    frames, code = FRAMES[name]
    reader, writer, status = await _open(api, upgrade(LIVE))
    try:
        assert status == 101
        opcode, _ = await read_frame(reader, 30)  # the snapshot
        assert opcode == TEXT
        for sent in frames:
            writer.write(sent)
        # A ping after them: an open connection answers its pong (after the pongs of any pings sent).
        # Not when a close is expected: data arriving after the server's close makes its kernel
        # answer with a reset, which can discard the close frame before it is read.
        if code is None:
            writer.write(frame(PING, b"still-there"))
        await writer.drain()
        while True:
            try:
                opcode, payload = await _next_control(reader, 30)
            except asyncio.IncompleteReadError:
                opcode, payload = CLOSE, b""  # reset without a close frame
            if opcode == CLOSE:
                got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                assert code is not None and got == code, (got, payload)
                break
            # The pong of our ping; a server that closes may still answer pings read with the bad frame.
            if payload == b"still-there" and code is None:
                break
    finally:
        writer.close()


async def test_a_websocket_outlives_the_request_deadlines(api: Dashboard, quiet_log: None) -> None:
    reader, writer, status = await _open(api, upgrade(LIVE))
    try:
        assert status == 101 and (await read_frame(reader, 30))[0] == TEXT
        await asyncio.sleep(2 * float(SHORT_DEADLINES["SERVING_BODY_TIMEOUT_S"]) + 1)
        writer.write(frame(PING, b"later"))
        assert await _next_control(reader, 30) == (PONG, b"later")
    finally:
        writer.close()


async def test_websockets_leave_the_per_address_connection_count(api: Dashboard, quiet_log: None) -> None:
    # More sockets than the cap from one address: each upgrade gives its HTTP place back, so the
    # address still gets its HTTP answers (the WebSockets' own cap is DASHBOARD_LIVE_MAX_CLIENTS_PER_HOST).
    sockets = []
    try:
        for _ in range(CONNECTION_CAP + 2):
            _reader, writer, status = await _open(api, upgrade(LIVE), local_address="127.0.0.4")
            sockets.append(writer)
            assert status == 101
        answer = await exchange("127.0.0.1", api.port, request("GET", "/healthz"), local_address="127.0.0.4")
        assert answer.statuses == [200], answer.raw
    finally:
        for writer in sockets:
            writer.close()


async def test_a_slow_request_head_is_cut_off(api: Dashboard, quiet_log: None) -> None:
    trickle = [b"GET /api/regions HTTP/1.1\r\n", *(b"X-%d: %d\r\n" % (i, i) for i in range(40))]
    answer = await exchange("127.0.0.1", api.port, *trickle, pause_s=0.25)
    assert answer.statuses == [408] and answer.closed, answer.raw[:600]


async def test_still_healthy_after_the_fuzz(api: Dashboard) -> None:
    async with httpx.AsyncClient(base_url=api.url(), timeout=30) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/api/regions")).status_code == 200
        assert (
            await client.get("/api/top/daily", params={"region": "US", "date": "2025-04-23"})
        ).status_code == 200
    reader, writer, status = await _open(api, upgrade(LIVE))
    try:
        assert status == 101 and (await read_frame(reader, 30))[0] == TEXT
    finally:
        writer.close()
    assert server_errors(api.log, 0) == []
