"""The clock that moves each generation queued → dreaming → completed/failed and announces every change."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import anyio
import httpx
from anyio.abc import TaskGroup

from luma_mcp.emulator.callbacks import CallbackSender
from luma_mcp.emulator.store import GenerationStore, StoredGeneration


class GenerationClock:
    """Runs one background timeline per generation, in a task group that lives as long as the app."""

    def __init__(self, store: GenerationStore) -> None:
        self._store = store
        self._timelines: dict[str, anyio.CancelScope] = {}
        self._deliveries: set[anyio.CancelScope] = set()
        self._tasks: TaskGroup | None = None
        self._callbacks: CallbackSender | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The app's lifespan: timelines and callback deliveries run inside it and are cancelled when it ends."""
        async with (
            httpx.AsyncClient(verify=_tls_context(), trust_env=False) as http,
            anyio.create_task_group() as tasks,
        ):
            self._tasks, self._callbacks = tasks, CallbackSender(http)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = self._callbacks = None

    @property
    def deliveries_in_flight(self) -> int:
        return len(self._deliveries)

    def start(self, generation: StoredGeneration) -> None:
        if self._tasks is None:
            raise RuntimeError("the emulator app is not running; serve it with run_emulator() or serve()")
        timeline = self._timelines[generation.id] = anyio.CancelScope()
        self._tasks.start_soon(self._run_timeline, generation, timeline)

    def finish_now(self, generation: StoredGeneration) -> None:
        """Skip the rest of the timeline and end the generation as planned, right away."""
        if generation.is_terminal:
            return
        self.stop(generation.id)
        self._finish(generation)

    def stop(self, generation_id: str) -> None:
        """Halt a generation's timeline without another state change, e.g. because it was deleted."""
        timeline = self._timelines.pop(generation_id, None)
        if timeline is not None:
            timeline.cancel()

    def stop_all(self) -> None:
        """Halt every timeline and every callback delivery under way, leaving the clock as the app started it."""
        for scope in [*self._timelines.values(), *self._deliveries]:
            scope.cancel()
        self._timelines.clear()
        self._deliveries.clear()

    async def _run_timeline(self, generation: StoredGeneration, timeline: anyio.CancelScope) -> None:
        with timeline:
            await anyio.sleep(generation.plan.queued_seconds)
            self._store.start_dreaming(generation)
            self._announce(generation)
            await anyio.sleep(generation.plan.dreaming_seconds)
            self._timelines.pop(generation.id, None)
            self._finish(generation)

    def _finish(self, generation: StoredGeneration) -> None:
        self._store.finish(generation)
        self._announce(generation)

    def _announce(self, generation: StoredGeneration) -> None:
        url = generation.request.get("callback_url")
        if url and self._tasks is not None and self._callbacks is not None:
            delivery = anyio.CancelScope()
            self._deliveries.add(delivery)
            self._tasks.start_soon(self._deliver, self._callbacks, url, generation.to_json(), delivery)

    async def _deliver(
        self, callbacks: CallbackSender, url: str, generation: dict[str, Any], delivery: anyio.CancelScope
    ) -> None:
        try:
            with delivery:
                await callbacks.deliver(url, generation)
        finally:
            self._deliveries.discard(delivery)


@cache
def _tls_context() -> ssl.SSLContext:
    """Shared by every emulator in the process: building one costs ~30 ms, which each test would pay at startup."""
    return httpx.create_ssl_context()
