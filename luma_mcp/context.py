"""`AppContext`: the long-lived parts every tool call shares, opened once per process by the server's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


def app_of(ctx: AppCtx) -> AppContext:
    """The one way to the app context from a call: through the request the SDK hands the call."""
    return ctx.request_context.lifespan_context
