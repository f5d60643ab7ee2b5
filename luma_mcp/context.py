"""`AppContext`: the long-lived parts every tool call shares, opened once per process by the server's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context

from .admission import CreateQueue
from .client import LumaClient
from .downloads import Downloader
from .poller import Poller
from .settings import Settings
from .subscriptions import ResourceUpdates


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    client: LumaClient
    poller: Poller
    downloader: Downloader
    updates: ResourceUpdates
    creates: CreateQueue


AppCtx = Context[AppContext, Any]
