"""The request log that lets tests see exactly what a client sent to "Luma" and what it got back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One API request, logged on arrival; ``status`` is filled in once answered (0 while pending or dropped)."""

    method: str
    path: str
    """Dream Machine paths relative to its root, e.g. ``"/generations/video"``; Agents API paths with their prefix,
    e.g. ``"/agents/v1/generations"``."""
    query: dict[str, str]
    body: Any
    """The parsed JSON body, or ``None`` when there was none or it was not JSON."""
    api_key: str | None
    """The bearer token presented, valid or not."""
    status: int
    at: float
    """``time.monotonic()`` at arrival."""
