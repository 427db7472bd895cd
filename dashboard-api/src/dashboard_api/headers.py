"""Security headers on every HTTP response: the UI runs only its own scripts and is never framed."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The built UI loads its own module script, stylesheet and WebSocket ('self' covers ws: on the same
# host) and a data: favicon; nothing inline, nothing from elsewhere but, with sign-in on, the
# provider's discovery document, keys and token endpoint (`connect_sources`).
UI_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages run an inline script and load their assets from a CDN.
DOCS_POLICY = "frame-ancestors 'none'"
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
NAMES = {name for name, _ in COMMON} | {b"content-security-policy"}


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike BaseHTTPMiddleware)."""

    def __init__(
        self,
        app: ASGIApp,
        docs_paths: tuple[str, ...] = ("/docs", "/redoc"),
        connect_sources: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.docs_paths = docs_paths
        self.ui_policy = UI_POLICY
        if connect_sources:
            self.ui_policy += f"; connect-src 'self' {' '.join(connect_sources)}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(self.docs_paths)
        policy = (DOCS_POLICY if docs else self.ui_policy).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in NAMES]
                message["headers"] = [*headers, *COMMON, (b"content-security-policy", policy)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
