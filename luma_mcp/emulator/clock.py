"""The clock that moves each job through its states on its own: a generation of either API, or a file's ingest.

The clock knows only when things happen; what happens (a state change, a refund, a callback) is given to it as
the steps of a ``Timeline``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from anyio.abc import TaskGroup


@dataclass(frozen=True)
class Timeline:
    """One job's course: ``queued_seconds`` of waiting, then ``begin``, then ``running_seconds``, then ``finish``."""

    job_id: str
    queued_seconds: float
    running_seconds: float
    begin: Callable[[], None]
    finish: Callable[[], None]


class GenerationClock:
    """Runs one background timeline per job, in a task group that lives as long as the app."""

    def __init__(self) -> None:
        self._running: dict[str, tuple[Timeline, anyio.CancelScope]] = {}
        self._tasks: TaskGroup | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Part of the app's lifespan: timelines run inside it and are cancelled when it ends."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                self._tasks = None

    def start(self, timeline: Timeline) -> None:
        if self._tasks is None:
            raise RuntimeError("the emulator app is not running; serve it with run_emulator() or serve()")
        scope = anyio.CancelScope()
        self._running[timeline.job_id] = (timeline, scope)
        self._tasks.start_soon(self._run, timeline, scope)

    def finish_now(self, job_id: str) -> None:
        """Skip the rest of the job's timeline and take its last step right away; a finished job stays as it is."""
        running = self._running.pop(job_id, None)
        if running is not None:
            timeline, scope = running
            scope.cancel()
            timeline.finish()

    def stop(self, job_id: str) -> None:
        """Halt a job's timeline without another state change, e.g. because it was deleted."""
        running = self._running.pop(job_id, None)
        if running is not None:
            running[1].cancel()

    def stop_all(self) -> None:
        """Halt every timeline under way, leaving the clock as the app started it (see `Emulator.reset`)."""
        for _, scope in self._running.values():
            scope.cancel()
        self._running.clear()

    async def _run(self, timeline: Timeline, scope: anyio.CancelScope) -> None:
        """A `finish_now` or `stop` can land after a sleep has ended and before this task runs again; the
        cancellation reaches the task only at its next await, so each step first checks it was not called off
        (else `begin` would follow `finish` and leave the job running, never to finish)."""
        with scope:
            await anyio.sleep(timeline.queued_seconds)
            if scope.cancel_called:
                return
            timeline.begin()
            await anyio.sleep(timeline.running_seconds)
            if scope.cancel_called:
                return
            self._running.pop(timeline.job_id, None)
            timeline.finish()
