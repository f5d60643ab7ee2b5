"""The private parts of the MCP SDK that luma-mcp relies on, in one place.

`MCPServer` does not serve `resources/subscribe` (2025-era subscriptions), offers no hook to wrap its
`subscriptions/listen` handler, and hands a `completion` handler no request (so not the caller's keys), so all three
are registered on its low-level server; and a 2025-era subscription must be kept per connection, which the SDK
reaches only through a session's private `_connection` (it makes a new session for every request). Whether a request
asked for progress is known only to its private dispatch context, the one `report_progress` sends through.
tests/test_sdk_internals.py fails loudly if an SDK release changes any of this, and the `mcp` dependency is bounded
to the minor version those tests passed on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer, ServerRequestContext
from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
from mcp.server.connection import Connection
from mcp.server.runner import _NoServerRequestsDispatchContext
from mcp.shared.direct_dispatcher import _DirectDispatchContext
from mcp.shared.jsonrpc_dispatcher import _JSONRPCDispatchContext
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


def asks_for_progress(ctx: ServerRequestContext[Any]) -> bool:
    """Whether `report_progress` on this request reaches the client, decided where `report_progress` decides it:
    in the request's dispatch context. Over JSON-RPC (stdio, SSE, streamable HTTP; both eras) that holds the
    progress token of the request's `_meta`; the in-process transport (an in-memory `Client` in the 2026 era) holds
    the caller's progress callback instead, with no token anywhere, which is why `ctx.meta` cannot tell. A context
    of a kind not known here counts as asking, so an SDK change costs CPU, never a progress bar."""
    channel: object = ctx.session._request_outbound
    if isinstance(channel, _NoServerRequestsDispatchContext):  # how the 2026 era wraps a stream's context
        channel = channel._inner
    if isinstance(channel, _JSONRPCDispatchContext):
        return channel._progress_token is not None
    if isinstance(channel, _SingleExchangeDispatchContext):
        return channel.progress_token is not None
    if isinstance(channel, _DirectDispatchContext):
        return channel._on_progress is not None
    return True
