"""Serving MCP over HTTP (Streamable HTTP or SSE): DNS-rebinding protection and an optional bearer token.

The SDK's app already checks Host and Origin; a remote deployment adds `LUMA_MCP_AUTH_TOKEN`, which every
request must then present as `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Literal

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ConfigurationError
from .settings import Settings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::")
HttpTransport = Literal["streamable-http", "sse"]


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
    body = json.dumps({"error": "unauthorized", "error_description": "Send Authorization: Bearer <token>."})
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
        raise ConfigurationError(
            f"--host {host} would let other machines spend your Luma credits. Set LUMA_MCP_AUTH_TOKEN to a long "
            "random secret (clients then send 'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )
    if host in WILDCARD_HOSTS and not settings.allowed_hosts:
        raise ConfigurationError(
            f"--host {host} listens on every address, but only loopback names would be accepted. Set "
            "LUMA_MCP_ALLOWED_HOSTS to the host names clients connect with, e.g. 'mcp.example.com,10.0.0.5'."
        )


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
        app: ASGIApp = server.sse_app(transport_security=security, host=host)
    else:
        app = server.streamable_http_app(transport_security=security, host=host)
    return BearerTokenGate(app, settings.auth_token) if settings.auth_token else app


async def serve_http(
    server: MCPServer[Any], transport: HttpTransport, *, host: str, port: int, settings: Settings
) -> None:
    app = http_app(server, transport, host=host, settings=settings)
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
    await uvicorn.Server(config).serve()
