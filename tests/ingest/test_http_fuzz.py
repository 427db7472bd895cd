"""Raw HTTP fuzz of ingest as devstack runs it (uvicorn in its own process, API keys, real Kafka):
malformed framing and headers are refused with a 4xx or ignored, bad bodies get a 4xx naming the
field, never a server error, a traceback in the server's log, or a server left unhealthy."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest.kafka_setup import drop_topics
from topsongs_devstack.apps import AppService, ingest_service
from topsongs_devstack.config import DevstackSettings
from topsongs_devstack.ingest_keys import ingest_keys
from topsongs_devstack.kafka import ensure_topics, private_topics
from topsongs_devstack.process import free_port

from tests.ingest.support import play
from tests.raw_http import Answer, exchange, parse_answers, request, server_errors

# Request deadlines short enough to be reached here (topsongs_core.http_protocol; 10 s and 60 s deployed).
SHORT_DEADLINES = {"SERVING_HEAD_TIMEOUT_S": "2", "SERVING_BODY_TIMEOUT_S": "2"}
# Connections one address may hold (512 deployed), small enough to reach here.
CONNECTION_CAP = 16
FIELDS = ("event_id", "song_id", "title", "artist", "user_id", "region", "played_at", "ms_played", "device")


@dataclass(frozen=True)
class Ingest:
    """A running ingest process: where it listens, the key it takes, its log."""

    port: int
    key: str
    log: Path

    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
async def ingest(tmp_path_factory: pytest.TempPathFactory, engines: None) -> AsyncIterator[Ingest]:
    """One ingest for the module, started by devstack's launcher on private topics."""
    kafka = private_topics("test-fuzz")
    await ensure_topics(kafka)
    devstack = DevstackSettings(state_dir=tmp_path_factory.mktemp("fuzz-ingest"), ingest_workers=1)
    env = {
        "KAFKA_PLAYS_TOPIC": kafka.plays_topic,
        "SERVING_MAX_CONNECTIONS_PER_ADDRESS": str(CONNECTION_CAP),
        **SHORT_DEADLINES,
    }
    service: AppService = ingest_service(devstack, port=free_port(), env=env)
    service.up()
    try:
        yield Ingest(service.port or 0, ingest_keys(devstack).client_key(), service.proc.log_file)
    finally:
        service.down()
        await drop_topics(kafka)


@pytest.fixture
def quiet_log(ingest: Ingest) -> Iterator[None]:
    """Fails the test if the server logged a traceback or an error while it ran."""
    start = ingest.log.stat().st_size
    yield
    assert server_errors(ingest.log, start) == []


@pytest.fixture(scope="module")
def connection(ingest: Ingest) -> Iterator[httpx.Client]:
    """A keep-alive client with the key."""
    with httpx.Client(base_url=ingest.url(), headers={"X-API-Key": ingest.key}, timeout=30) as client:
        yield client


def _json(body: object) -> bytes:
    return json.dumps(body).encode()


def _raw_play(**over: str) -> bytes:
    """A valid play whose fields in ``over`` are spliced in as raw JSON text."""
    text = _json(play(**{name: f"@{name}@" for name in over}))
    for name, raw in over.items():
        text = text.replace(f'"@{name}@"'.encode(), raw.encode("latin-1"))
    return text


def _at(offset: str, shift: timedelta = timedelta()) -> str:
    """Now, written in the local time of ``offset`` (e.g. "+14:00")."""
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = (int(part) for part in offset[1:].split(":"))
    local = datetime.now(UTC) + sign * timedelta(hours=hours, minutes=minutes) + shift
    return local.replace(tzinfo=None).isoformat() + offset


# Bodies with their expected status and the location their 422 must name (None: not a 422).
BODIES: list[tuple[str, str, bytes, int, list[object] | None]] = [
    (
        "duplicate key, last one wins",
        "/play",
        _json(play())[:-1] + b', "region": "QQ"}',
        422,
        ["body", "region"],
    ),
    ("duplicate key, valid last", "/play", b'{"region": "QQ", ' + _json(play())[1:], 202, None),
    ("deep list", "/play", b"[" * 100_000, 422, ["body"]),
    ("deep object", "/play", b'{"a":' * 100_000, 422, ["body"]),
    ("deep inside a batch", "/plays", b'{"events": [' + b"[" * 100_000, 422, ["body"]),
    ("huge integer", "/play", _raw_play(ms_played="1" + "0" * 400), 422, None),
    ("huge float", "/play", _raw_play(ms_played="1e400"), 422, ["body"]),
    ("64-bit overflow", "/play", _raw_play(ms_played=str(2**64)), 422, None),
    ("NaN", "/play", _raw_play(ms_played="NaN"), 422, ["body"]),
    ("Infinity", "/play", _raw_play(ms_played="-Infinity"), 422, ["body"]),
    ("float count", "/play", _raw_play(ms_played="1.5"), 422, ["body", "ms_played"]),
    ("invalid UTF-8", "/play", _raw_play(title='"\xff\xfe"'), 422, ["body"]),
    ("lone surrogate", "/play", _raw_play(title='"\\ud800"'), 422, ["body"]),
    ("NUL in a field", "/play", _raw_play(song_id='"a\\u0000b"'), 422, ["body", "song_id"]),
    ("escape in a title", "/play", _raw_play(title='"a\\u001bb"'), 422, ["body", "title"]),
    ("line feed inside", "/play", _raw_play(user_id='"u\\n1"'), 422, ["body", "user_id"]),
    ("raw DEL", "/play", _raw_play(artist='"a\x7fb"'), 422, ["body", "artist"]),
    ("raw C1 control", "/play", _raw_play(device='"tv\xc2\x85"'), 422, ["body", "device"]),
    ("line feed around, stripped", "/play", _raw_play(title='"\\nSong\\t\\r\\n"'), 202, None),
    ("format characters are text", "/play", _raw_play(title='"a\\u200db\\u00a0c"'), 202, None),
    (
        "NUL in a batch",
        "/plays",
        _json({"events": [play(), play(), play(title="x\x00")]}),
        422,
        ["body", "events", 2, "title"],
    ),
    ("offset +14:00", "/play", _json(play(played_at=_at("+14:00"))), 202, None),
    ("offset -12:00", "/play", _json(play(played_at=_at("-12:00"))), 202, None),
    (
        "offset +24:00",
        "/play",
        _json(play(played_at=_at("+00:00")[:-6] + "+24:00")),
        422,
        ["body", "played_at"],
    ),
    (
        "offset -12:00 too far ahead",
        "/play",
        _json(play(played_at=_at("-12:00", timedelta(hours=1)))),
        422,
        ["body", "played_at"],
    ),
    (
        "year 9999 at -12:00",
        "/play",
        _json(play(played_at="9999-12-31T23:00:00-12:00")),
        422,
        ["body", "played_at"],
    ),
    (
        "year 1 at +14:00",
        "/play",
        _json(play(played_at="0001-01-01T00:00:00+14:00")),
        422,
        ["body", "played_at"],
    ),
    (
        "year 1 at +14:00 in a batch",
        "/plays",
        _json({"events": [play(), play(played_at="0001-01-01T00:00:00+14:00")]}),
        422,
        ["body", "events", 1, "played_at"],
    ),
    ("leap second", "/play", _json(play(played_at="2026-12-31T23:59:60Z")), 422, ["body", "played_at"]),
    ("empty body", "/play", b"", 422, ["body"]),
    ("JSON null", "/plays", b"null", 422, ["body", "events"]),
    ("events not a list", "/plays", b'{"events": {"0": {}}}', 422, ["body", "events"]),
]


@pytest.mark.parametrize(("name", "path", "body", "status", "loc"), BODIES, ids=[b[0] for b in BODIES])
async def test_bad_bodies_get_a_4xx_naming_the_field(
    ingest: Ingest, quiet_log: None, name: str, path: str, body: bytes, status: int, loc: list[object] | None
) -> None:
    headers = [("Content-Type", "application/json"), ("X-API-Key", ingest.key)]
    answer = await exchange("127.0.0.1", ingest.port, request("POST", path, headers=headers, body=body))
    assert answer.statuses == [status], answer.raw[:600]
    if status == 422:
        errors = json.loads(answer.answers[0].body)["detail"]
        assert all(error["loc"][0] == "body" for error in errors), errors
        if loc is not None:
            assert loc in [error["loc"] for error in errors], errors


def _framed(ingest: Ingest, *extra: tuple[str, str], **kw: object) -> bytes:
    headers = [("Content-Type", "application/json"), ("X-API-Key", ingest.key), *extra]
    return request("POST", "/play", headers=headers, **kw)  # type: ignore[arg-type]


def _chunked(ingest: Ingest, chunks: bytes) -> bytes:
    return _framed(ingest, ("Transfer-Encoding", "chunked"), body=chunks)


def _cases(ingest: Ingest) -> dict[str, tuple[list[bytes], set[int]]]:
    """Raw requests and the statuses allowed (408: an incomplete request the server cuts off)."""
    body = _json(play())
    size = b"%x" % len(body)
    valid = body[:-1] + b"}"
    hdr = f"X-API-Key: {ingest.key}\r\nContent-Type: application/json\r\n".encode()
    return {
        "chunked": ([_chunked(ingest, size + b"\r\n" + valid + b"\r\n0\r\n\r\n")], {202}),
        "chunked, one byte a chunk": (
            [_chunked(ingest, b"".join(b"1\r\n" + bytes([c]) + b"\r\n" for c in body) + b"0\r\n\r\n")],
            {202},
        ),
        "chunked with extensions and trailer": (
            [_chunked(ingest, size + b";x=y\r\n" + body + b"\r\n0\r\nX-Trailer: 1\r\n\r\n")],
            {202},
        ),
        "chunk size not hex": ([_chunked(ingest, b"zz\r\n" + body + b"\r\n0\r\n\r\n")], {400}),
        "chunk size negative": ([_chunked(ingest, b"-5\r\n" + body + b"\r\n0\r\n\r\n")], {400}),
        "chunk size overflowing": ([_chunked(ingest, b"f" * 40 + b"\r\n" + body + b"\r\n0\r\n\r\n")], {400}),
        "chunk size too small": ([_chunked(ingest, b"5\r\n" + body + b"\r\n0\r\n\r\n")], {400}),
        "chunk size with spaces": (
            [_chunked(ingest, b" " + size + b" \r\n" + body + b"\r\n0\r\n\r\n")],
            {400},
        ),
        "chunked, no last chunk": ([_chunked(ingest, size + b"\r\n" + body + b"\r\n")], {408}),
        "chunked body over the limit": (
            [_chunked(ingest, b"".join(b"ffff\r\n" + b" " * 0xFFFF + b"\r\n" for _ in range(40)))],
            {413},
        ),
        "Content-Length shorter": (
            [_framed(ingest, ("Content-Length", str(len(body) - 10)), body=body)],
            {422},
        ),
        "Content-Length longer": (
            [_framed(ingest, ("Content-Length", str(len(body) + 10)), body=body)],
            {408},
        ),
        "idle connection": ([b""], {408}),
        "request head trickled (slowloris)": (
            [b"POST /play HTTP/1.1\r\n", *(b"X-%d: %d\r\n" % (i, i) for i in range(20))],
            {408},
        ),
        "body trickled": ([_framed(ingest, body=body)[: -len(body)], *(bytes([c]) for c in body)], {408}),
        "one header of 100 kB": ([request("GET", "/healthz", headers=[("X-Big", "v" * 100_000)])], {400}),
        "Content-Length negative": ([_framed(ingest, ("Content-Length", "-1"), body=body)], {400}),
        "Content-Length huge": ([_framed(ingest, ("Content-Length", "9" * 40), body=body)], {400}),
        "Content-Length over the limit": (
            [_framed(ingest, ("Content-Length", str(10**12)), body=body)],
            {413},
        ),
        "Content-Length not a number": ([_framed(ingest, ("Content-Length", "12a"), body=body)], {400}),
        "Content-Length twice, differing": (
            [_framed(ingest, ("Content-Length", str(len(body))), ("Content-Length", "5"), body=body)],
            {400},
        ),
        "Content-Length and chunked": (
            [
                _framed(
                    ingest, ("Content-Length", str(len(body))), ("Transfer-Encoding", "chunked"), body=body
                )
            ],
            {400},
        ),
        "Transfer-Encoding gzip": ([_framed(ingest, ("Transfer-Encoding", "gzip"), body=body)], {400}),
        "Content-Encoding gzip": ([_framed(ingest, ("Content-Encoding", "gzip"), body=body)], {415}),
        "Content-Type with a bad charset": (
            [
                b"POST /play HTTP/1.1\r\nHost: x\r\n"
                + hdr[:-2]
                + b"; charset=\xff\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
            ],
            {422},
        ),
        "Content-Type missing": (
            [request("POST", "/play", headers=[("X-API-Key", ingest.key)], body=body)],
            {415},
        ),
        "API key in Latin-1": (
            [
                b"POST /play HTTP/1.1\r\nHost: x\r\nX-API-Key: \xff\xfe\r\n"
                b"Connection: close\r\nContent-Length: 2\r\n\r\n{}"
            ],
            {401},
        ),
        "API key twice": ([_framed(ingest, ("X-API-Key", "wrong"), body=body)], {202, 401}),
        "NUL in a header": (
            [b"POST /play HTTP/1.1\r\nHost: x\r\nX-API-Key: a\x00b\r\nContent-Length: 0\r\n\r\n"],
            {400},
        ),
        "space in a header name": ([b"POST /play HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n"], {400}),
        "Idempotency-Key of control characters": (
            [_framed(ingest, ("Idempotency-Key", "\x7f" * 300), body=body)],
            {400},
        ),
        "Idempotency-Key of 10 kB": (
            [_framed(ingest, ("Idempotency-Key", "k" * 10_000), body=body)],
            {202, 422},
        ),
        "Expect: 100-continue": ([_framed(ingest, ("Expect", "100-continue"), body=body)], {100, 202}),
        "HTTP/1.0": (
            [b"POST /play HTTP/1.0\r\n" + hdr + b"Content-Length: %d\r\n\r\n" % len(body) + body],
            {202},
        ),
        "no Host": ([b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"], {200}),
        "absolute target": ([request("GET", "http://elsewhere/healthz")], {200}),
        "target of 100 kB": ([request("GET", "/" + "a" * 100_000)], {400, 404, 414, 431}),
        "5,000 headers": (
            [request("GET", "/healthz", headers=[(f"X-{i}", "v") for i in range(5000)])],
            {200, 431},
        ),
        "percent-encoded NUL and 0xff": ([request("GET", "/healthz%00%ff")], {404}),
        "query of invalid UTF-8": (
            [b"GET /healthz?\xff=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
            {400, 200},
        ),
        "unknown method": ([request("BREW", "/play")], {400, 405}),
        "GET with a body": ([request("GET", "/healthz", body=b"x" * 1000)], {200}),
        "HTTP/2 preface": ([b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"], {400}),
        "TLS hello": ([b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32)], {400}),
        "two pipelined, then garbage": (
            [
                request("GET", "/healthz", close=False)
                + _framed(ingest, ("Connection", "keep-alive"), body=body)
                + b"GARBAGE\r\n\r\n"
            ],
            {200, 202, 400},
        ),
        "WebSocket upgrade on ingest": (
            [request("GET", "/healthz", headers=[("Upgrade", "websocket"), ("Connection", "Upgrade")])],
            {200, 400, 404, 426},
        ),
    }


CASE_NAMES = list(_cases(Ingest(0, "k", Path())))


@pytest.mark.parametrize("name", CASE_NAMES)
async def test_malformed_http_gets_no_server_error(ingest: Ingest, quiet_log: None, name: str) -> None:
    parts, allowed = _cases(ingest)[name]
    # Trickled parts come 0.25 s apart: slower than the deadline allows for the whole request.
    began = time.monotonic()
    answer = await exchange("127.0.0.1", ingest.port, *parts, pause_s=0.25)
    assert answer.statuses and set(answer.statuses) <= allowed, answer.raw[:600]
    if allowed == {408}:
        assert answer.closed and time.monotonic() - began < 30, "the server kept a request that stalled"


# Arbitrary JSON for one field of an otherwise valid play.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
OFFSETS = st.builds(
    lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"), st.integers(0, 25), st.integers(0, 60)
)
TIMES = st.builds(
    lambda moment, offset: moment.isoformat() + offset,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
    OFFSETS | st.sampled_from(["Z", "", "z", "+0000", "+14", "UTC"]),
)
NEAR_NOW = st.builds(
    lambda offset, seconds: _at(offset, timedelta(seconds=seconds)),
    st.sampled_from(["+14:00", "-12:00", "+05:45", "-09:30", "+00:00"]),
    st.integers(-8 * 86400, 3600),
)


@st.composite
def mutated_plays(draw: st.DrawFn) -> dict[str, object]:
    """A valid play with some fields replaced by arbitrary values, removed, or added."""
    body: dict[str, object] = play()
    for name in draw(st.lists(st.sampled_from([*FIELDS, "extra"]), max_size=3, unique=True)):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            body.pop(name, None)
        elif name == "played_at":
            body[name] = draw(TIMES | NEAR_NOW | JSON_VALUES)
        else:
            body[name] = draw(JSON_VALUES)
    return body


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=mutated_plays(), batch=st.booleans())
def test_generated_plays_get_202_or_a_422_naming_a_field(
    ingest: Ingest, connection: httpx.Client, body: dict[str, object], batch: bool
) -> None:
    start = ingest.log.stat().st_size
    path, payload = ("/plays", {"events": [play(), body]}) if batch else ("/play", body)
    prefix: list[object] = ["body", "events", 1] if batch else ["body"]
    response = connection.post(path, json=payload)
    assert response.status_code in (202, 422), response.text
    if response.status_code == 422:
        for error in response.json()["detail"]:
            assert error["loc"][: len(prefix)] == prefix and len(error["loc"]) > len(prefix), error
            assert error["loc"][len(prefix)] in (*FIELDS, "extra", "schema_version"), error
    assert server_errors(ingest.log, start) == []


async def _answer(reader: asyncio.StreamReader) -> Answer:
    """The next response on a keep-alive connection, its body read."""
    [answer] = parse_answers(await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30))
    answer.body = await asyncio.wait_for(reader.readexactly(int(answer.headers["content-length"])), 30)
    return answer


async def _kept_busy(ingest: Ingest, address: str, opened: asyncio.Queue[int]) -> None:
    """A keep-alive connection from ``address`` asking /healthz twice a second (so that neither the
    keep-alive nor a request deadline closes it) until cancelled; its first status goes to ``opened``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", ingest.port, local_addr=(address, 0))
    try:
        while True:
            writer.write(request("GET", "/healthz", close=False))
            await opened.put((await _answer(reader)).status)
            await asyncio.sleep(0.5)
    finally:
        writer.close()


async def test_one_address_holds_at_most_its_share_of_connections(ingest: Ingest, quiet_log: None) -> None:
    opened: asyncio.Queue[int] = asyncio.Queue()
    held = [asyncio.create_task(_kept_busy(ingest, "127.0.0.2", opened)) for _ in range(CONNECTION_CAP)]
    try:
        assert [await opened.get() for _ in held] == [200] * CONNECTION_CAP
        probe = request("GET", "/healthz")
        over = await exchange("127.0.0.1", ingest.port, probe, local_address="127.0.0.2")
        # Answered and closed before the request was parsed, without a reset that could hide it.
        assert over.statuses == [429] and over.closed, over.raw
        assert over.answers[0].headers["retry-after"] == "1"
        other = await exchange("127.0.0.1", ingest.port, probe, local_address="127.0.0.3")
        assert other.statuses == [200], other.raw
        held.pop().cancel()
        # The freed place is the address's again (once the server has seen the close).
        deadline = time.monotonic() + 30
        while (
            again := await exchange("127.0.0.1", ingest.port, probe, local_address="127.0.0.2")
        ).statuses != [200]:
            assert again.statuses == [429] and time.monotonic() < deadline, again.raw
            await asyncio.sleep(0.2)
    finally:
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)


async def test_still_healthy_and_accepting_after_the_fuzz(ingest: Ingest) -> None:
    async with httpx.AsyncClient(base_url=ingest.url(), timeout=30) as client:
        assert (await client.get("/healthz")).status_code == 200
        event = play(event_id=str(uuid.uuid4()))
        accepted = await client.post("/play", json=event, headers={"X-API-Key": ingest.key})
        assert accepted.status_code == 202, accepted.text
    assert server_errors(ingest.log, 0) == []
