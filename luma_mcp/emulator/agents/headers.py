"""The headers on every Agents API answer: ``X-Request-Id`` (the caller's, or a new UUID) and ``X-API-Version``."""

from __future__ import annotations

import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from luma_mcp.emulator.agents.vocabulary import API_VERSION


class AgentsHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or str(uuid.uuid4())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = request_id
                headers["X-API-Version"] = API_VERSION
            await send(message)

        await self._app(scope, receive, send_with_headers)
