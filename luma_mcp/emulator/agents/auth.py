"""Who is calling the Agents API: ``Authorization: Bearer luma-api-...``, exactly so (luma-agents-api.md §1, §8)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from luma_mcp.emulator.agents.config import KEY_PREFIX


def authenticate(request: Request, api_keys: tuple[str, ...]) -> str:
    """The caller's key, which is also the client that owns what it creates.

    A missing header, another scheme (``bearer`` too: the scheme is case-sensitive) or a key not shaped like an
    Agents key is refused before any lookup; a well-formed key that is not known gets a message of its own.
    """
    scheme, _, key = (request.headers.get("authorization") or "").partition(" ")
    if scheme != "Bearer" or not key.startswith(KEY_PREFIX):
        raise HTTPException(401, "Missing or invalid API key")
    if key not in api_keys:
        raise HTTPException(401, "Invalid API key")
    return key
