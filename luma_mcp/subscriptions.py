"""`ResourceUpdates`: tells subscribed MCP clients that a generation changed, in both eras of the protocol.

2026-era clients listen with `subscriptions/listen`, served by the SDK from a bus we publish to. 2025-era clients
(Claude among them) use `resources/subscribe`, which `MCPServer` does not serve, so we register it on the
low-level server and remember each subscribing session ourselves.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer, ServerRequestContext
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from .models import Generation

logger = logging.getLogger(__name__)

GENERATION_URI_PREFIX = "luma://generations/"


def generation_uri(generation_id: str) -> str:
    return f"{GENERATION_URI_PREFIX}{generation_id}"


Follow = Callable[[ServerRequestContext[Any], str], Awaitable[Callable[[], None] | None]]


class ResourceUpdates:
    def __init__(self, bus: SubscriptionBus) -> None:
        self._bus = bus
        self._sessions: dict[str, set[ServerSession]] = {}
        self._stop_following: dict[str, Callable[[], None]] = {}

    async def publish(self, generation: Generation) -> None:
        uri = generation_uri(generation.id)
        await self._bus.publish(ResourceUpdated(uri=uri))
        for session in list(self._sessions.get(uri, ())):
            try:
                await session.send_resource_updated(uri)
            except Exception:
                logger.info("Dropping a closed session's subscription to %s", uri)
                self._sessions[uri].discard(session)

    def install(self, server: MCPServer[Any], follow: Follow) -> None:
        """Serve `resources/subscribe`; `follow` starts polling a generation so updates have a source."""

        async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
            uri = str(params.uri)
            self._sessions.setdefault(uri, set()).add(ctx.session)
            if uri.startswith(GENERATION_URI_PREFIX) and uri not in self._stop_following:
                stop = await follow(ctx, uri.removeprefix(GENERATION_URI_PREFIX))
                if stop is not None:
                    self._stop_following[uri] = stop
            return EmptyResult()

        async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
            uri = str(params.uri)
            sessions = self._sessions.get(uri, set())
            sessions.discard(ctx.session)
            if not sessions:
                self._sessions.pop(uri, None)
                stop = self._stop_following.pop(uri, None)
                if stop is not None:
                    stop()
            return EmptyResult()

        server._lowlevel_server.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
        server._lowlevel_server.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
