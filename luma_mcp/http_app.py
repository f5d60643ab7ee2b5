"""Serving MCP over HTTP (Streamable HTTP or SSE): who may connect, how many, and for how long.

The SDK's app already checks Host and Origin; a remote deployment adds `LUMA_MCP_AUTH_TOKEN`, which every
request must then present as `Authorization: Bearer <token>`. Connections, sessions and the time a request's
headers may take are bounded, so clients that open connections and never finish with them cannot lock others out.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

import h11
import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .errors.wording import every_address_without_names, exposed_without_token, no_bearer_token
from .server import held_open
from .settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::")
HttpTransport = Literal["streamable-http", "sse"]
ENDPOINT_PATHS: dict[HttpTransport, str] = {"streamable-http": "/mcp", "sse": "/sse"}
KEEP_ALIVE_SECONDS = 5
"""How long an idle keep-alive connection stays open between requests."""
SHUTDOWN_GRACE_SECONDS = 3
"""At shutdown, how long requests in progress (and open SSE streams) may run before they are cancelled."""
NOISY_LOGGERS = ("asyncio", "uvicorn.error", "mcp.server.streamable_http_manager")
"""Where a flood repeats itself: asyncio logs every accept that fails for want of file descriptors, and the SDK
each session it refuses past the cap."""


class BearerTokenGate:
    """Refuses every HTTP request that does not carry the configured bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scheme, _, presented = dict(scope["headers"]).get(b"authorization", b"").partition(b" ")
            # The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
            if scheme.lower() != b"bearer" or not hmac.compare_digest(presented.strip(), self._expected):
                await _refuse(send)
                return
        await self._app(scope, receive, send)


async def _refuse(send: Send) -> None:
    body = json.dumps({"error": "unauthorized", "error_description": no_bearer_token()})
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


def check_exposure(host: str, settings: Settings) -> None:
    """Host and Origin checks only stop browsers; any machine that can reach a non-loopback address can send
    whatever Host it likes. So a server bound beyond loopback must demand a token, and one bound to every
    address must be told which names its clients use."""
    if host in LOOPBACK_HOSTS:
        return
    if not settings.auth_token:
        raise exposed_without_token(host)
    if host in WILDCARD_HOSTS and not settings.allowed_hosts:
        raise every_address_without_names(host)


def transport_security(host: str, allowed_hosts: tuple[str, ...] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection stays on however the server is bound: loopback names, the bound host and the
    names in LUMA_MCP_ALLOWED_HOSTS, with any port."""
    names = ["127.0.0.1", "localhost", "[::1]", *allowed_hosts]
    if host not in LOOPBACK_HOSTS and host not in WILDCARD_HOSTS:
        names.append(host)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[pattern for name in names for pattern in (name, f"{name}:*")],
        allowed_origins=[
            pattern
            for name in names
            for scheme in ("http", "https")
            for pattern in (f"{scheme}://{name}", f"{scheme}://{name}:*")
        ],
    )


def http_app(server: MCPServer[Any], transport: HttpTransport, *, host: str, settings: Settings) -> ASGIApp:
    security = transport_security(host, settings.allowed_hosts)
    if transport == "sse":
        app = server.sse_app(transport_security=security, host=host, sse_path=ENDPOINT_PATHS["sse"])
    else:
        # A session nobody uses any more (its client gone without a DELETE) holds memory and a place under
        # max_sessions until it has been idle this long.
        app = server.streamable_http_app(
            transport_security=security,
            host=host,
            streamable_http_path=ENDPOINT_PATHS["streamable-http"],
            session_idle_timeout=settings.http_session_idle_timeout,
            max_sessions=settings.http_max_sessions,
        )
    _hold_server_open(app, server)
    return BearerTokenGate(app, settings.auth_token) if settings.auth_token else app


def _hold_server_open(app: Starlette, server: MCPServer[Any]) -> None:
    """Open the server's parts when the app starts and close them when it stops. The SSE app enters the server's
    lifespan once per connection; held open for the whole process, every connection shares the same parts."""
    transport_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(starlette: Starlette) -> AsyncIterator[Any]:
        async with held_open(server), transport_lifespan(starlette) as state:
            yield state

    app.router.lifespan_context = lifespan


async def serve_http(
    server: MCPServer[Any], transport: HttpTransport, *, host: str, port: int, settings: Settings
) -> None:
    app = http_app(server, transport, host=host, settings=settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=_h11_with_request_timeout(settings.http_request_timeout, settings.http_max_connections),
        lifespan="on",
        # uvicorn answers 503 once this many connections are open, counting the one asking.
        limit_concurrency=settings.http_max_connections + 1,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    repeats = RepeatedMessageFilter()
    for name in NOISY_LOGGERS:
        logging.getLogger(name).addFilter(repeats)
    try:
        await _AnnouncedServer(config, ENDPOINT_PATHS[transport]).serve()
    finally:
        for name in NOISY_LOGGERS:
            logging.getLogger(name).removeFilter(repeats)


class _AnnouncedServer(uvicorn.Server):
    """Once listening, says on stderr (whatever the log level) the URL a client connects to, with the port
    actually bound: `--port 0` picks a free one."""

    def __init__(self, config: uvicorn.Config, path: str) -> None:
        super().__init__(config)
        self._path = path

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"luma-mcp: serving MCP at http://{shown}:{port}{self._path}", file=sys.stderr, flush=True)


def _h11_with_request_timeout(seconds: float, max_connections: int) -> type[asyncio.Protocol]:
    waiting: dict[RequestTimeoutProtocol, None] = {}  # connections waiting for a request, longest waiting first

    class RequestTimeoutProtocol(H11Protocol):
        """uvicorn waits for a request for ever, so a client that sends half a request line, or headers and then a
        body a byte at a time, would hold its connection, and a file descriptor, for as long as it liked. This one
        closes a connection whose request (line, headers and body) is not all in `seconds` after the connection
        opened or after its last response. And at `max_connections`, a new connection pushes out the one that has
        waited longest for its request, so connections that never finish one cannot keep everyone else out; a
        request being served is never pushed out."""

        _request_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections and waiting:
                pushed_out = next(iter(waiting))
                pushed_out._stop_waiting()
                pushed_out.transport.close()
                self.connections.discard(pushed_out)  # counted out now, not when the loop gets to it
            self._await_request()

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                self._stop_waiting()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE:
                self._await_request()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _await_request(self) -> None:
            self._stop_waiting()
            if not self.transport.is_closing():
                self._request_timer = self.loop.call_later(seconds, self.transport.close)
                waiting[self] = None

        def _stop_waiting(self) -> None:
            waiting.pop(self, None)
            if self._request_timer is not None:
                self._request_timer.cancel()
                self._request_timer = None

    return RequestTimeoutProtocol


class RepeatedMessageFilter(logging.Filter):
    """Lets a message through at most once per `interval` seconds, then says how many like it were held back.

    A flood repeats one line: out of file descriptors, asyncio logs each failed accept (up to 2048 a second) and,
    at shutdown, each accept retry it had scheduled, all with tracebacks; that once wrote 166 MB to stderr in 20 s.
    Messages are alike when their logger, level and first line (before any arguments are filled in) are: asyncio
    puts what differs between them, such as a timer handle, on the lines below.
    """

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._interval = interval
        self._clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> (when last let through, held back since)

    def filter(self, record: logging.LogRecord) -> bool:
        now = self._clock()
        key = (record.name, record.levelno, str(record.msg).partition("\n")[0])
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._interval:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        if len(self._seen) >= 1000:  # forget lines that stopped repeating, so varied messages cannot pile up
            self._seen = {seen: entry for seen, entry in self._seen.items() if now - entry[0] < self._interval}
        self._seen[key] = (now, 0)
        if last is not None and last[1]:
            record.msg = f"{record.msg} ({last[1]} more like it in the last {now - last[0]:.0f} s)"
        return True
