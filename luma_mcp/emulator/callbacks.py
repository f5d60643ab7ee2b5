"""Delivering generation updates to ``callback_url`` the way Luma documents it (luma-api.md §7)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import anyio
import httpx
from anyio.abc import TaskGroup

CALLBACK_TRIES = 3
CALLBACK_RETRY_DELAY = 0.1
CALLBACK_TIMEOUT = 5.0


class CallbackSender:
    """POSTs a generation's JSON to its callback URL; anything but 200 is retried, 3 tries in all, 100 ms apart."""

    def __init__(self) -> None:
        self._http: httpx.AsyncClient | None = None
        self._tasks: TaskGroup | None = None
        self._deliveries: set[anyio.CancelScope] = set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Part of the app's lifespan: deliveries run inside it and are cancelled when it ends."""
        async with (
            httpx.AsyncClient(verify=_tls_context(), trust_env=False) as http,
            anyio.create_task_group() as tasks,
        ):
            self._http, self._tasks = http, tasks
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._http = self._tasks = None

    @property
    def in_flight(self) -> int:
        """Deliveries not yet over, retries to come included."""
        return len(self._deliveries)

    def announce(self, url: str, generation: dict[str, Any]) -> None:
        """Deliver in the background; the state change that prompted it does not wait."""
        if self._tasks is not None and self._http is not None:
            delivery = anyio.CancelScope()
            self._deliveries.add(delivery)
            self._tasks.start_soon(self._deliver, self._http, url, generation, delivery)

    def stop_all(self) -> None:
        """Halt every delivery under way (see `Emulator.reset`)."""
        for delivery in self._deliveries:
            delivery.cancel()
        self._deliveries.clear()

    async def _deliver(
        self, http: httpx.AsyncClient, url: str, generation: dict[str, Any], delivery: anyio.CancelScope
    ) -> None:
        try:
            with delivery:
                await _deliver(http, url, generation)
        finally:
            self._deliveries.discard(delivery)


async def _deliver(http: httpx.AsyncClient, url: str, generation: dict[str, Any]) -> None:
    for attempt in range(CALLBACK_TRIES):
        if attempt:
            await anyio.sleep(CALLBACK_RETRY_DELAY)
        try:
            response = await http.post(url, json=generation, timeout=CALLBACK_TIMEOUT)
        except Exception:
            # Whatever goes wrong on the receiver's side (refused, timed out, bad URL) must not stop the emulator.
            continue
        if response.status_code == 200:
            return


@cache
def _tls_context() -> ssl.SSLContext:
    """Shared by every emulator in the process: building one costs ~30 ms, which each test would pay at startup."""
    return httpx.create_ssl_context()
