"""uvicorn's httptools protocol with deadlines on reading a request and a bound on its head.

uvicorn times out only an idle keep-alive connection: a client that opens a connection and sends a
request head one line at a time (slowloris), or a body slower than it announced, holds its
connection, and with it a place under `--limit-concurrency`, for as long as it likes; and a head
(request line plus headers) may grow without bound. ingest and dashboard-api are served with
``--http topsongs_core.http_protocol:BoundedHttpProtocol``: a head must arrive within
``SERVING_HEAD_TIMEOUT_S`` of its first byte and be at most ``SERVING_MAX_HEAD_BYTES``, a body
within ``SERVING_BODY_TIMEOUT_S`` of the end of its head; past either deadline the connection is
closed (a 408 when no answer was started), past the size it gets a 400. One client address may hold
at most ``SERVING_MAX_CONNECTIONS_PER_ADDRESS`` HTTP connections of a process at once; a connection
past that is answered 429 with ``Retry-After`` and closed before any of it is parsed, so a single
address cannot take every place under ``--limit-concurrency`` (WebSockets, once upgraded, leave
this count for their own per-address cap).

Only uvicorn imports this module, in the servers that depend on it (ingest, dashboard-api); the
other users of this library never load it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 16\r\nconnection: close\r\n\r\nRequest Timeout\n"
)
CAPPED_BODY = b"too many connections from this address (SERVING_MAX_CONNECTIONS_PER_ADDRESS)\n"
CAPPED_ANSWER = (
    b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(CAPPED_BODY), CAPPED_BODY)
)


class ServingLimits(BaseSettings):
    """How long and how large a request may be while it is read (env prefix SERVING_)."""

    model_config = SettingsConfigDict(env_prefix="SERVING_", extra="ignore")

    head_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=60.0, gt=0)
    max_head_bytes: int = Field(default=64 * 1024, ge=1024)
    # Per process; 0 turns it off, as behind a balancer, where every connection has its address.
    max_connections_per_address: int = Field(default=512, ge=0)


@cache
def serving_limits() -> ServingLimits:
    """The limits from the environment, read once per process when the first connection arrives."""
    return ServingLimits()


class HeadTooLarge(Exception):
    """A request head over the limit; raised inside the parser, which makes uvicorn answer 400."""


# Open HTTP connections of this process per client address (one event loop per process).
_open_per_address: Counter[str] = Counter()


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection that reads a request too slowly."""

    _deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0
    _address: str | None = None  # counted in _open_per_address while set
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection has ``head_timeout_s`` to send its first request's head, if its address
        is within its share."""
        limits = serving_limits()
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        if limits.max_connections_per_address and address is not None:
            if _open_per_address[address] >= limits.max_connections_per_address:
                self._refuse(transport, limits.head_timeout_s)
                return
            _open_per_address[address] += 1
            self._address = address
        super().connection_made(transport)
        self._arm(limits.head_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        """Nothing left to time out; the address has one connection fewer."""
        self._disarm()
        if self._refused:
            return
        self._release()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """A refused connection's request is read and dropped (closing with it unread would reset
        the connection, and the client might never see its 429)."""
        if not self._refused:
            super().data_received(data)

    def eof_received(self) -> None:
        """A refused client has read its answer and closed its side: close ours."""
        if self._refused:
            self.transport.close()
            return
        super().eof_received()

    def on_message_begin(self) -> None:
        """The first byte of a request: its head has ``head_timeout_s`` to arrive."""
        super().on_message_begin()
        self._head_bytes = 0
        self._arm(serving_limits().head_timeout_s)

    def on_url(self, url: bytes) -> None:
        """Count the request line against the head's bound."""
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Count each header against the head's bound."""
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """The head is in: the body, if any, has ``body_timeout_s``."""
        self._arm(serving_limits().body_timeout_s)
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        """The connection becomes a WebSocket, whose own protocol times and caps it from here on."""
        self._disarm()
        self._release()
        super().handle_websocket_upgrade()

    def on_message_complete(self) -> None:
        """The whole request is in: from here on only uvicorn's own keep-alive timeout applies."""
        self._disarm()
        super().on_message_complete()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > serving_limits().max_head_bytes:
            raise HeadTooLarge(f"request head over {serving_limits().max_head_bytes} bytes")

    def _refuse(self, transport: asyncio.Transport, linger_s: float) -> None:
        # Answer, stop writing, and wait (at most linger_s) for the client to close first.
        self._refused = True
        self.transport = transport
        transport.write(CAPPED_ANSWER)
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = self.loop.call_later(linger_s, transport.close)

    def _release(self) -> None:
        if self._address is not None:
            _open_per_address[self._address] -= 1
            if not _open_per_address[self._address]:
                del _open_per_address[self._address]
            self._address = None

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        answered = self.cycle is not None and self.cycle.response_started
        if not answered:
            self.transport.write(TIMEOUT_ANSWER)
        self.transport.close()
