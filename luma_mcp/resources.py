"""MCP resources: generations as JSON documents a client can read and subscribe to."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from .accounts import current_caller
from .errors import LumaMCPError, NotFoundError
from .errors.wording import no_such_generation_resource
from .subscriptions import RECENT_URI, generation_uri

RECENT_LIMIT = 20


def register_resources(server: MCPServer[Any]) -> None:
    """Both read with the caller's own account, which the server leases for the read (static resources get no
    request context from the SDK, so the lease is how they learn whose account it is)."""

    @server.resource(
        generation_uri("{generation_id}"), name="generation", title="Generation", mime_type="application/json"
    )
    async def generation(generation_id: str) -> str:
        """One generation as Luma reports it: state, assets (video and thumbnail URLs), request, failure reason."""
        try:
            UUID(generation_id)
            _, found = await current_caller().find(generation_id)
        except (ValueError, NotFoundError):
            raise ResourceNotFoundError(no_such_generation_resource(generation_id)) from None
        except LumaMCPError as exc:
            raise ResourceError(str(exc)) from exc
        return found.model_dump_json(indent=2)

    @server.resource(RECENT_URI, name="recent-generations", title="Recent generations", mime_type="application/json")
    async def recent_generations() -> str:
        """The user's most recent generations, newest first."""
        try:
            found, _ = await current_caller().recent(limit=RECENT_LIMIT, offset=0)
        except LumaMCPError as exc:
            raise ResourceError(str(exc)) from exc
        return json.dumps([item.model_dump(mode="json") for item in found], indent=2)
