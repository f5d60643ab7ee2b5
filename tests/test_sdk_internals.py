"""The MCP SDK's private parts that luma-mcp relies on (luma_mcp/sdk_internals.py): each test here fails loudly,
naming what changed, if an SDK release moves or reshapes one of them."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.server import MCPServer, ServerRequestContext
from mcp.server.connection import Connection
from mcp.server.mcpserver import Context
from mcp.types import EmptyResult, SubscribeRequestParams, SubscriptionsListenRequestParams

from luma_mcp import Settings, build_server
from luma_mcp.emulator.runner import serving
from luma_mcp.sdk_internals import add_request_handler, asks_for_progress, connection_of

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


def progress_probe() -> MCPServer:
    """A server whose one tool says whether `asks_for_progress` thinks its caller wants progress, then reports some."""
    server = MCPServer("probe")

    @server.tool()
    async def probe(ctx: Context) -> bool:
        asked = asks_for_progress(ctx.request_context)
        await ctx.report_progress(1.0, 2.0, "halfway")
        return asked

    return server


@asynccontextmanager
async def probe_client(transport: str, era: str) -> AsyncIterator[Client]:
    server = progress_probe()
    if transport == "in-memory":
        async with Client(server, mode=era) as client:
            yield client
        return
    if transport == "stdio":
        command = "from tests.test_sdk_internals import progress_probe; progress_probe().run()"
        params = StdioServerParameters(command=sys.executable, args=["-c", command], cwd=Path(__file__).parent.parent)
        async with Client(params, mode=era) as client:
            yield client
        return
    async with serving(server.streamable_http_app()) as origin, Client(f"{origin}/mcp", mode=era) as client:
        yield client


@pytest.mark.parametrize("era", ["legacy", "2026-07-28"])
@pytest.mark.parametrize("transport", ["in-memory", "stdio", "streamable-http"])
async def test_asks_for_progress_knows_what_report_progress_knows(transport: str, era: str) -> None:
    """Each transport and era keeps "this request wants progress" in its own private place (a JSON-RPC token, an
    HTTP exchange's token, an in-process callback, behind a 2026-era wrapper); the answer must match whether
    `report_progress` reached the client, both ways."""
    heard: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append(progress)

    async with probe_client(transport, era) as client:
        for callback_given in (False, True):
            heard.clear()
            result = await client.call_tool("probe", {}, progress_callback=on_progress if callback_given else None)
            assert result.structured_content is not None
            asked = result.structured_content["result"]
            assert asked == (heard == [1.0]) == callback_given, (
                f"over {transport} ({era}), with{'' if callback_given else 'out'} a progress callback, "
                f"asks_for_progress said {asked} and report_progress delivered {heard}: luma_mcp/sdk_internals.py "
                "must follow the SDK's dispatch contexts"
            )
