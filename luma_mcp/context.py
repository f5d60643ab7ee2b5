"""`AppContext`: the long-lived parts every tool call shares, opened once per process by the server's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from .downloads import Downloader
from .settings import Settings
from .subscriptions import ResourceUpdates
from .tenants import Tenants


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    tenants: Tenants
    downloader: Downloader
    updates: ResourceUpdates


AppCtx = Context[AppContext, Any]
