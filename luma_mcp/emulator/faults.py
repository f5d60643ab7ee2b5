"""Scripted failures: the next matching requests get an error, a delay, a dropped connection or a hostile answer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from luma_mcp.emulator.paths import path_matches


@dataclass(frozen=True)
class Fault:
    """What to do to the next ``count`` requests matching ``method`` and ``path``.

    ``path`` is a Dream Machine path relative to its root (``"/generations/video"``) or an Agents API path with its
    prefix (``"/agents/v1/generations"``); a trailing ``*`` matches a prefix and ``None`` matches every API path of
    both (assets and presigned storage URLs are never faulted). With ``after_processing`` the request takes effect
    for real and only its answer is replaced, which is how a client learns that a create it saw fail may exist anyway.
    """

    status: int | None = 503
    """None answers for real, only ``delay`` seconds late (the request takes effect only then)."""
    count: int = 1
    method: str | None = None
    path: str | None = None
    retry_after: float | None = None
    """Seconds, sent as the ``Retry-After`` header."""
    delay: float = 0.0
    """Seconds to wait before answering, to run a client into its read timeout."""
    drop: bool = False
    """Close the connection without a complete HTTP response; ``status`` is then unused."""
    after_processing: bool = False
    detail: str | None = None
    """The ``{"detail": ...}`` message; the HTTP reason phrase when unset."""
    body: Any = None
    """JSON to answer with instead of ``{"detail": ...}``: a generation with a hostile id, say."""
    padding: int = 0
    """Bytes of whitespace streamed ahead of the JSON, without a Content-Length: an answer that is valid but as
    large as asked. Logged with status ``DROPPED_STATUS`` if the client hangs up before the end."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra response headers, e.g. ``(("x-should-retry", "true"),)``."""

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method.upper()) and path_matches(self.path, path)


class FaultQueue:
    """Injected faults in FIFO order; each request takes the first one that matches it."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []

    def inject(self, fault: Fault) -> None:
        if fault.count > 0:
            self._pending.append(fault)

    def clear(self) -> None:
        self._pending.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any; it is used up once it has applied ``count`` times."""
        for index, fault in enumerate(self._pending):
            if fault.matches(method, path):
                if fault.count == 1:
                    del self._pending[index]
                else:
                    self._pending[index] = replace(fault, count=fault.count - 1)
                return fault
        return None
