"""`ResourceUpdates`: tells subscribed MCP clients that a generation changed, in both eras of the protocol.

2026-era clients listen with `subscriptions/listen`; 2025-era clients (Claude among them) use
`resources/subscribe`, which `MCPServer` does not serve, so we register it on the low-level server and remember
each subscribing session ourselves. Either way a subscribed generation is kept polled (a "follow") for as long as
anyone subscribes to it, so its subscribers hear when it finishes even if no tool call is waiting on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server import MCPServer, ServerRequestContext
from mcp.server.session import ServerSession
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
Follow = Callable[[ServerRequestContext[Any], str], Awaitable[Stop | None]]


def generation_uri(generation_id: str) -> str:
    return f"{GENERATION_URI_PREFIX}{generation_id}"


@dataclass
class _Following:
    subscribers: int = 0
    stop: Stop | None = None


class ResourceUpdates:
    def __init__(self, bus: SubscriptionBus) -> None:
        self._bus = bus
        self._sessions: dict[str, set[ServerSession]] = {}
        self._following: dict[str, _Following] = {}

    async def generation_changed(self, generation: Generation) -> None:
        await self.changed(generation.id)

    async def changed(self, generation_id: str) -> None:
        """A generation was created, changed or deleted: its own resource and the recent list both changed."""
        for uri in (generation_uri(generation_id), RECENT_URI):
            await self._bus.publish(ResourceUpdated(uri=uri))
            for session in list(self._sessions.get(uri, ())):
                try:
                    await session.send_resource_updated(uri)
                except Exception:
                    logger.info("Dropping a closed session's subscription to %s", uri)
                    self._sessions[uri].discard(session)

    def install(self, server: MCPServer[Any], follow: Follow) -> None:
        """Serve `resources/subscribe` and wrap `subscriptions/listen`; `follow` starts polling a generation."""
        listen = ListenHandler(self._bus)

        async def hold(ctx: ServerRequestContext[Any], uri: str) -> None:
            if not uri.startswith(GENERATION_URI_PREFIX):
                return
            following = self._following.setdefault(uri, _Following())
            following.subscribers += 1
            if following.subscribers == 1:
                # Registered before awaiting, so a second subscriber arriving meanwhile does not follow twice.
                following.stop = await follow(ctx, uri.removeprefix(GENERATION_URI_PREFIX))

        def release(uri: str) -> None:
            following = self._following.get(uri)
            if following is None:
                return
            following.subscribers -= 1
            if following.subscribers <= 0:
                del self._following[uri]
                if following.stop is not None:
                    following.stop()

        async def subscribe(ctx: ServerRequestContext[Any], params: SubscribeRequestParams) -> EmptyResult:
            uri = str(params.uri)
            sessions = self._sessions.setdefault(uri, set())
            if ctx.session not in sessions:
                sessions.add(ctx.session)
                await hold(ctx, uri)
            return EmptyResult()

        async def unsubscribe(ctx: ServerRequestContext[Any], params: UnsubscribeRequestParams) -> EmptyResult:
            uri = str(params.uri)
            sessions = self._sessions.get(uri, set())
            if ctx.session in sessions:
                sessions.discard(ctx.session)
                release(uri)
            if not sessions:
                self._sessions.pop(uri, None)
            return EmptyResult()

        async def listen_and_follow(
            ctx: ServerRequestContext[Any], params: SubscriptionsListenRequestParams
        ) -> SubscriptionsListenResult:
            uris = list(dict.fromkeys(params.notifications.resource_subscriptions or ()))
            try:
                for uri in uris:
                    await hold(ctx, uri)
                return await listen(ctx, params)
            finally:
                for uri in uris:
                    release(uri)

        lowlevel = server._lowlevel_server
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
        lowlevel.add_request_handler("subscriptions/listen", SubscriptionsListenRequestParams, listen_and_follow)
