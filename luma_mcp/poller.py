"""`Poller`: the one place that asks Luma "is it done yet?".

Luma has no push channel we can rely on (callbacks need a public URL), so we poll. However many tool calls,
resource subscriptions or progress bars wait on one generation, it is fetched at most once per tick, by one
task; that task ends the moment the generation finishes or the last watcher leaves.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import anyio
from anyio.abc import TaskGroup

from .errors import APIConnectionError, LumaError, RateLimitError, ServerError
from .models import Generation

logger = logging.getLogger(__name__)

Fetch = Callable[[str], Awaitable[Generation]]
OnChange = Callable[[Generation], Awaitable[None]]
TRANSIENT_ERRORS = (APIConnectionError, RateLimitError, ServerError)


@dataclass(frozen=True)
class PollSchedule:
    """How long to sleep between two GETs of one generation, by how long it has been watched.

    `steps` are `(watched_for_seconds, interval_seconds)`, in order. The intervals stay at or under 1.4 s so
    that completion is noticed within 1.5 s, and at or over 1 s so that a generation costs at most one GET
    a second; the longer a generation runs, the closer to the slow end we poll. Typical videos take ~100 s.
    """

    steps: tuple[tuple[float, float], ...] = ((0.0, 1.0), (30.0, 1.2), (120.0, 1.4))

    def interval(self, watched_for: float) -> float:
        current = self.steps[0][1]
        for since, interval in self.steps:
            if watched_for < since:
                break
            current = interval
        return current


@dataclass(eq=False)
class Watch:
    """What the poller knows of one generation; shared by everyone watching it."""

    generation: Generation
    watchers: int = 0
    error: LumaError | None = None
    changed: anyio.Event = field(default_factory=anyio.Event)
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)

    def publish(self, generation: Generation | None = None, error: LumaError | None = None) -> None:
        if generation is not None:
            self.generation = generation
        self.error = error
        self.changed.set()
        self.changed = anyio.Event()

    async def next_change(self, timeout: float) -> None:
        """Return when the generation changes, or after `timeout` seconds, whichever comes first."""
        with anyio.move_on_after(timeout):
            await self.changed.wait()


class Poller:
    def __init__(
        self, fetch: Fetch, *, schedule: PollSchedule = PollSchedule(), on_change: OnChange | None = None
    ) -> None:
        self._fetch = fetch
        self._schedule = schedule
        self._on_change = on_change
        self._watches: dict[str, Watch] = {}
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        return await self._task_group.__aexit__(exc_type, exc, tb)

    @property
    def watching(self) -> frozenset[str]:
        """Ids of the generations being polled right now."""
        return frozenset(self._watches)

    @asynccontextmanager
    async def watch(self, generation: Generation) -> AsyncIterator[Watch]:
        """Keep `generation` polled until it finishes or every watcher has left this block."""
        watch = self._watches.get(generation.id)
        if watch is None:
            watch = Watch(generation=generation)
            if not generation.is_terminal:
                self._watches[generation.id] = watch
                assert self._task_group is not None, "Poller used outside `async with`"
                self._task_group.start_soon(self._poll, watch, name=f"poll {generation.id}")
        watch.watchers += 1
        try:
            yield watch
        finally:
            watch.watchers -= 1
            if watch.watchers == 0:
                watch.scope.cancel()
                if self._watches.get(generation.id) is watch:
                    del self._watches[generation.id]

    def follow(self, generation: Generation) -> Callable[[], None]:
        """Poll `generation` in the background, with nobody waiting, until it finishes or the returned
        function is called; resource subscribers use this to get updates."""
        scope = anyio.CancelScope()

        async def hold() -> None:
            with scope:
                async with self.watch(generation) as watch:
                    while not watch.generation.is_terminal and watch.error is None:
                        await watch.next_change(math.inf)

        assert self._task_group is not None, "Poller used outside `async with`"
        self._task_group.start_soon(hold, name=f"follow {generation.id}")
        return scope.cancel

    async def wait(
        self,
        generation: Generation,
        *,
        timeout: float,
        on_update: OnChange | None = None,
        heartbeat: float = 1.0,
    ) -> Generation:
        """Wait until `generation` finishes or `timeout` passes; return the latest state either way.

        `on_update` is called at once, on every change, and at least every `heartbeat` seconds, so a
        progress bar keeps moving while Luma is dreaming.
        """
        async with self.watch(generation) as watch:
            with anyio.move_on_after(timeout):
                while True:
                    if watch.error is not None:
                        raise watch.error
                    if on_update is not None:
                        await on_update(watch.generation)
                    if watch.generation.is_terminal:
                        break
                    await watch.next_change(heartbeat)
            return watch.generation

    async def _poll(self, watch: Watch) -> None:
        generation_id = watch.generation.id
        started = anyio.current_time()
        try:
            with watch.scope:
                while not watch.generation.is_terminal:
                    await anyio.sleep(self._schedule.interval(anyio.current_time() - started))
                    try:
                        latest = await self._fetch(generation_id)
                    except TRANSIENT_ERRORS as exc:
                        logger.info("Polling %s failed for now: %s", generation_id, exc)
                        continue
                    except LumaError as exc:
                        watch.publish(error=exc)
                        return
                    if _differs(latest, watch.generation):
                        watch.publish(latest)
                        await self._notify(latest)
        finally:
            if self._watches.get(generation_id) is watch:
                del self._watches[generation_id]

    async def _notify(self, generation: Generation) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change(generation)
        except Exception:
            logger.exception("Change listener failed for %s", generation.id)


def _differs(a: Generation, b: Generation) -> bool:
    return (a.state, a.failure_reason, a.assets) != (b.state, b.failure_reason, b.assets)
