"""`ResourceUpdates`: tells subscribed MCP clients that a generation changed, in both eras of the protocol.

2026-era clients listen with `subscriptions/listen`; 2025-era clients (Claude among them) use
`resources/subscribe`, which `MCPServer` does not serve, so we register it on the low-level server and remember
each subscribing connection ourselves. Every subscription to a generation also holds a "follow" on the poller,
so its subscribers hear when it finishes even if no tool call waits on it; the poller shares one poll among all
follows and waits of a generation, and each subscription releases its own follow when it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mcp.server import MCPServer, ServerRequestContext
from mcp.server.connection import Connection
from mcp.server.subscriptions import ListenHandler, ResourceUpdated, SubscriptionBus
from mcp.types import (
    EmptyResult,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    SubscriptionsListenResult,
    UnsubscribeRequestParams,
)

from .models import Generation

logger = logging.getLogger(__name__)

RECENT_URI = "luma://generations"
GENERATION_URI_PREFIX = f"{RECENT_URI}/"

Stop = Callable[[], None]
# Starts polling the generation a URI names, for the tenant of the request; None when there is nothing to follow.
Follow = Callable[[ServerRequestContext[Any], str], Stop | None]


def generation_uri(generation_id: str) -> str:
    return f"{GENERATION_URI_PREFIX}{generation_id}"


def _connection(ctx: ServerRequestContext[Any]) -> Connection:
    # The SDK makes a new ServerSession for every request; the Connection behind it is the one object that lives
    # as long as the client does (and offers `exit_stack` for cleanup when it goes). No public accessor yet.
    connection: Connection = ctx.session._connection
    return connection


class ResourceUpdates:
    def __init__(self, bus: SubscriptionBus) -> None:
        self._bus = bus
        # 2025-era subscriptions: (connection, uri) -> the follow it holds, if any.
        self._subscriptions: dict[tuple[Connection, str], Stop | None] = {}

    async def generation_changed(self, generation: Generation) -> None:
        await self.changed(generation.id)

    async def changed(self, generation_id: str) -> None:
        """A generation was created, changed or deleted: its own resource and the recent list both changed."""
        for uri in (generation_uri(generation_id), RECENT_URI):
            await self._bus.publish(ResourceUpdated(uri=uri))
            for connection, subscribed in list(self._subscriptions):
                if subscribed == uri:
                    await connection.send_resource_updated(uri)

    def install(self, server: MCPServer[Any], follow: Follow) -> None:
        """Serve `resources/subscribe` and wrap `subscriptions/listen`, following what each subscribes to."""
        listen = ListenHandler(self._bus)

        def forget(connection: Connection, uri: str) -> None:
            stop = self._subscriptions.pop((connection, uri), None)
            if stop is not None:
                stop()

        def forget_connection(connection: Connection) -> None:
            for held, uri in [key for key in self._subscriptions if key[0] is connection]:
                forget(held, uri)

        async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
            connection, uri = _connection(ctx), str(params.uri)
            if not any(held is connection for held, _ in self._subscriptions):
                connection.exit_stack.callback(forget_connection, connection)
            if (connection, uri) not in self._subscriptions:
                self._subscriptions[(connection, uri)] = follow(ctx, uri)
            return EmptyResult()

        async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
            forget(_connection(ctx), str(params.uri))
            return EmptyResult()

        async def listen_and_follow(
            ctx: ServerRequestContext[Any], params: SubscriptionsListenRequestParams
        ) -> SubscriptionsListenResult:
            stops = [follow(ctx, uri) for uri in dict.fromkeys(params.notifications.resource_subscriptions or ())]
            try:
                return await listen(ctx, params)
            finally:
                for stop in stops:
                    if stop is not None:
                        stop()

        lowlevel = server._lowlevel_server
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
        lowlevel.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, listen_and_follow)
