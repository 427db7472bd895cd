"""uvicorn's sans-I/O WebSocket protocol, resetting clients that stop reading instead of keeping them."""

from __future__ import annotations

import socket
import struct

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# SO_LINGER on, 0 s: close() sends a reset and frees the socket at once.
RESET_ON_CLOSE = struct.pack("ii", 1, 0)
INVALID_TEXT = 1007


class CutOffWebSocketProtocol(WebSocketsSansIOProtocol):
    """Resets a connection whose peer no longer reads, and closes one that sends invalid text quietly.

    uvicorn ends a connection with ``transport.close()``, which waits for the write buffer to
    drain, and the kernel then keeps the socket while its own buffer and the FIN wait behind a
    window the client never opens: a client that stopped reading holds its socket, buffers and
    task for as long as it likes (uvicorn's shutdown waits for it too). A missed keepalive pong, or
    an app that gives up while writing is paused, resets the connection instead.
    """

    def keepalive_timeout(self) -> None:
        """The peer missed a pong: a close frame would wait behind the unread data, so reset."""
        self.reset()

    async def run_asgi(self) -> None:
        """Run the app; if it ended while the peer was not reading, reset."""
        await super().run_asgi()
        if not self.writable.is_set():
            self.reset()

    def send_receive_event_to_app(self) -> None:
        """Close with 1007 on a text message that is not UTF-8, as uvicorn does, but without logging
        a traceback: it is the client's error, and any client could fill the log with them."""
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                self.logger.info("closing a WebSocket whose client sent invalid UTF-8 (1007)")
                self.conn.send_close(INVALID_TEXT, "invalid UTF-8")
                self.handle_parser_exception()
                return
        super().send_receive_event_to_app()

    def reset(self) -> None:
        """Drop the connection now, buffered data included (the peer gets a TCP reset)."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET_ON_CLOSE)
        self.transport.abort()
