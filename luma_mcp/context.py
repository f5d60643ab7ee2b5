"""`AppContext`: the long-lived parts every tool call shares, opened once per process by the server's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.mcpserver import Context

from .accounts import Accounts
from .downloads import Downloader
from .settings import Settings
from .subscriptions import ResourceUpdates


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    accounts: Accounts
    downloader: Downloader
    updates: ResourceUpdates


AppCtx = Context[AppContext, Any]


def app_of(ctx: AppCtx | ServerRequestContext[AppContext]) -> AppContext:
    """The one way to the app context: through the request the SDK hands a tool call, a resource read or a
    low-level handler (subscriptions)."""
    request = ctx.request_context if isinstance(ctx, Context) else ctx
    return request.lifespan_context
