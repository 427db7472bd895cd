"""A tiny HTTP server that answers every request with a fixed status: a stand-in for ingest.

Used by the rate test and the benchmark, and handy for a dry run without the platform:
``uv run python -m simulator.standin --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from types import TracebackType

_REASONS = {
    202: "Accepted",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class StandinIngest:
    """Keep-alive HTTP/1.1 server on 127.0.0.1 answering ``status`` with ``body``; counts requests."""

    def __init__(
        self,
        port: int = 0,
        status: int = 202,
        record: bool = False,
        retry_after: int | None = None,
        body: bytes = b"{}",
    ) -> None:
        self.port = port
        self.status = status
        self.body = body
        self.retry_after = retry_after  # sent as the Retry-After header when set
        self.record = record
        self.requests = 0
        self.bodies: list[tuple[str, bytes]] = []
        self.headers: list[dict[str, str]] = []  # of each recorded request, names in lower case
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """Base URL to give the simulator."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen (on a free port when ``port`` is 0)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close connections."""
        if self._server is not None:
            self._server.close()
            close_clients = getattr(self._server, "close_clients", None)  # Python 3.13+
            if close_clients is not None:
                close_clients()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> StandinIngest:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        retry_after = "" if self.retry_after is None else f"retry-after: {self.retry_after}\r\n"
        reply = (
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Status')}\r\n{retry_after}"
            f"content-type: application/json\r\ncontent-length: {len(self.body)}\r\n\r\n"
        ).encode() + self.body
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length) if length else b""
                self.requests += 1
                if self.record:
                    self.bodies.append((head.split(b" ", 2)[1].decode(), body))
                    self.headers.append(_header_fields(head))
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _header_fields(head: bytes) -> dict[str, str]:
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:] if line)
    return {name.strip().lower().decode(): value.strip().decode() for name, _, value in fields}


async def _serve_forever(port: int, status: int) -> None:
    async with StandinIngest(port, status) as server:
        print(f"stand-in ingest answering {status} on {server.url}", flush=True)
        await asyncio.Event().wait()


def main() -> None:
    """Run the stand-in until interrupted."""
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1")
    args.add_argument("--status", type=int, default=202, help="status of every answer")
    ns = args.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(ns.port, ns.status))


if __name__ == "__main__":
    main()
