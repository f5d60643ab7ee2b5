"""The MCP SDK's private parts that luma-mcp relies on (luma_mcp/sdk_internals.py): each test here fails loudly,
naming what changed, if an SDK release moves or reshapes one of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.connection import Connection
from mcp.types import EmptyResult, SubscribeRequestParams, SubscriptionsListenRequestParams

from luma_mcp import Settings, build_server
from luma_mcp.sdk_internals import add_request_handler, connection_of

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:resources/subscribe is removed")]


def test_mcpserver_still_has_a_low_level_server_taking_request_handlers() -> None:
    server = MCPServer("probe")
    lowlevel = getattr(server, "_lowlevel_server", None)
    assert lowlevel is not None, "MCPServer._lowlevel_server is gone: luma_mcp/sdk_internals.py must change"
    assert callable(getattr(lowlevel, "add_request_handler", None)), "Server.add_request_handler is gone"


async def test_a_registered_handler_serves_its_method_and_sees_the_requests_connection() -> None:
    server = MCPServer("probe")
    seen: list[Connection] = []

    async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
        seen.append(connection_of(ctx))
        return EmptyResult()

    add_request_handler(server, "resources/subscribe", SubscribeRequestParams, subscribe)
    async with Client(server, mode="legacy") as client:
        await client.subscribe_resource("luma://generations")
        await client.subscribe_resource("luma://generations")
    assert len(seen) == 2, "resources/subscribe no longer reaches a handler added to the low-level server"
    assert isinstance(seen[0], Connection), "ServerSession._connection is no longer a Connection"
    assert seen[0] is seen[1], "one connection is no longer one Connection object across requests"


def test_our_listen_handler_replaces_the_sdks(tmp_path: Path) -> None:
    """MCPServer registers its own subscriptions/listen; ours must win, or accounts would hear each other."""
    server = build_server(Settings(output_dir=tmp_path))
    handlers = getattr(server._lowlevel_server, "_request_handlers", None)
    assert isinstance(handlers, dict), "the low-level server keeps its handlers elsewhere now"
    listen = handlers["subscriptions/listen"]
    assert listen.params_type is SubscriptionsListenRequestParams
    assert "ResourceUpdates._listen_handler" in listen.handler.__qualname__
