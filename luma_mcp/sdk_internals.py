"""The private parts of the MCP SDK that luma-mcp relies on, in one place.

`MCPServer` does not serve `resources/subscribe` (2025-era subscriptions) and offers no hook to wrap its
`subscriptions/listen` handler, so both are registered on its low-level server; and a 2025-era subscription must be
kept per connection, which the SDK reaches only through a session's private `_connection` (it makes a new session
for every request). tests/test_sdk_internals.py fails loudly if an SDK release changes any of this, and the `mcp`
dependency is bounded to the minor version those tests passed on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer, ServerRequestContext
from mcp.server.connection import Connection
from pydantic import BaseModel


def add_request_handler(
    server: MCPServer[Any],
    method: str,
    params_type: type[BaseModel],
    handler: Callable[[ServerRequestContext[Any], Any], Awaitable[Any]],
) -> None:
    """Serve `method` with `handler`, replacing any handler the SDK registered for it."""
    server._lowlevel_server.add_request_handler(method, params_type, handler)


def connection_of(ctx: ServerRequestContext[Any]) -> Connection:
    """The connection a request came on: the one object that lives as long as the client does (and offers
    `exit_stack` for cleanup when it goes)."""
    connection: Connection = ctx.session._connection
    return connection
