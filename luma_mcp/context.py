"""`AppContext`: the long-lived parts every tool call shares, opened once per process by the server's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.server import ServerRequestContext
from mcp.server.mcpserver import Context

from .accounts import Accounts
from .downloads import Downloader
from .settings import Settings
from .subscriptions import ResourceUpdates
from .timing import within


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


@asynccontextmanager
async def for_the_call(app: AppContext, headers: Mapping[str, str] | None) -> AsyncIterator[anyio.CancelScope]:
    """What every tool call, resource read and task look runs in: a lease on the caller's account, the call's
    deadline for everything done inside, and a hard stop a little after it, should anything not keep to it (a
    client that stops reading progress, say). The yielded scope tells whether the hard stop struck."""
    timing = app.settings.timing
    async with app.accounts.lease(headers):
        with (
            within(timing.call_deadline()) as deadline,
            anyio.CancelScope(deadline=deadline.at + timing.overrun) as cut_off,
        ):
            yield cut_off


def headers_of(ctx: ServerRequestContext[Any]) -> Mapping[str, str] | None:
    """The HTTP headers of a low-level request (where the caller's keys are), None over stdio."""
    return getattr(ctx.request, "headers", None)
