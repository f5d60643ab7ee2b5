"""Request bodies as both emulated APIs read them."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request


async def json_body(request: Request, refuse: type[Exception]) -> Any:
    """The parsed body, or ``None`` when there is none; a body that is not JSON raises ``refuse`` (each API's own
    kind of 400)."""
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise refuse("Request body is not valid JSON") from None  # inferred: Luma's wording is not known
