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

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::")
HttpTransport = Literal["streamable-http", "sse"]


class BearerTokenGate:
    """Refuses every HTTP request that does not carry the configured bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            presented = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(presented, self._expected):
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


def check_exposure(host: str, auth_token: str | None) -> None:
    """Host and Origin checks only stop browsers; any machine that can reach a non-loopback address can send
    whatever Host it likes. So a server bound beyond loopback must demand a token."""
    if host not in LOOPBACK_HOSTS and not auth_token:
        raise ConfigurationError(
            f"--host {host} would let other machines spend your Luma credits. Set LUMA_MCP_AUTH_TOKEN to a long "
            "random secret (clients then send 'Authorization: Bearer <token>'), or bind to 127.0.0.1."
        )


def transport_security(host: str) -> TransportSecuritySettings:
    """DNS-rebinding protection stays on however the server is bound: only loopback names and the bound host."""
    hosts = ["127.0.0.1", "localhost", "[::1]"]
    if host not in LOOPBACK_HOSTS and host not in WILDCARD_HOSTS:
        hosts.append(host)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[pattern for name in hosts for pattern in (name, f"{name}:*")],
        allowed_origins=[f"{scheme}://{name}:*" for name in hosts for scheme in ("http", "https")],
    )


def http_app(server: MCPServer[Any], transport: HttpTransport, *, host: str, auth_token: str | None) -> ASGIApp:
    security = transport_security(host)
    if transport == "sse":
        app: ASGIApp = server.sse_app(transport_security=security, host=host)
    else:
        app = server.streamable_http_app(transport_security=security, host=host)
    return BearerTokenGate(app, auth_token) if auth_token else app


async def serve_http(
    server: MCPServer[Any], transport: HttpTransport, *, host: str, port: int, auth_token: str | None, log_level: str
) -> None:
    check_exposure(host, auth_token)
    app = http_app(server, transport, host=host, auth_token=auth_token)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), access_log=False)
    await uvicorn.Server(config).serve()
