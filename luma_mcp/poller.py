"""`Poller`: the one place that asks Luma "is it done yet?".

Luma has no push channel we can rely on (callbacks need a public URL), so we poll. However many tool calls,
resource subscriptions or progress bars wait on one generation, it is fetched at most once per tick; and when
several generations are due at once, list requests answer for all of them, a page of up to 100 per request, so
the requests per tick grow by one per hundred generations in flight. Where there is no list endpoint (the Agents
API), every look is a GET of its own: a new generation is first looked at near its kind's typical time, not at once,
and then at most once a second. A generation stops being polled the moment it finishes or its last watcher leaves,
and no request goes out for a generation nobody watches any more.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
from anyio.abc import TaskGroup

from .errors import APIConnectionError, APIResponseError, APIStatusError, LumaMCPError
from .models import Generation
from .retries import RETRYABLE_STATUSES

logger = logging.getLogger(__name__)

FetchOne = Callable[[str], Awaitable[Generation]]
FetchPage = Callable[[int, int], Awaitable[list[Generation]]]
OnChange = Callable[[Generation], Awaitable[None]]


def is_transient(error: LumaMCPError) -> bool:
    """Worth another look next tick; anything else (a 404, a refused key) ends the wait with that error."""
    if isinstance(error, APIStatusError):
        return error.status_code in RETRYABLE_STATUSES
    return isinstance(error, APIConnectionError | APIResponseError)


MAX_LIST_LIMIT = 100
MAX_CONCURRENT_GETS = 10


@dataclass(frozen=True)
class PollSchedule:
    """How long to wait between two looks at one generation, by how long it has been watched.

    `steps` are `(watched_for_seconds, interval_seconds)`, in order. Looks start a fixed interval apart, so
    completion is noticed within one interval plus one round trip: at most 1.2 s leaves 0.3 s for the round trip
    within our 1.5 s target. At least 1 s keeps a generation to one request a second; the longer a generation
    runs, the closer to the slow end we poll. Typical videos take ~100 s.
    `batch_slack` lets a generation due within that many seconds ride along in a list request that is going out
    anyway; at one interval, every generation in flight soon shares the same list requests each tick.
    `fresh_for`: a watched generation heard of within that many seconds is as good as a new lookup, since the
    poller looks at it again within an interval anyway.
    `typical_seconds` are `(generation type, seconds)`: about how long a generation of that kind takes, counted
    from its `created_at`. Where each look is a GET of its own, nothing is asked before then: Luma's advice for
    Uni-1 images is to wait about 20 s before the first poll (they take 15-60 s, about 30 s at the median), and
    Ray 3.2 videos take one to two minutes and more (5 s at 720p in under 2 min, longer for 10 s, 1080p or HDR), so
    their first look is at 60 s, two thirds of the way to the usual 90 s as for images. A kind not listed, or a
    generation known by its id alone (a subscription), is looked at after one interval.
    """

    steps: tuple[tuple[float, float], ...] = ((0.0, 1.0), (30.0, 1.1), (90.0, 1.2))
    batch_slack: float = 1.0
    fresh_for: float = 2.0
    last_chance: float = 2.0
    """A wait that would end before a generation's first look has Luma asked this long before it gives up, so it
    hands back the state Luma has, not the one its create answered with."""
    typical_seconds: tuple[tuple[str, float], ...] = (
        ("image", 20.0),
        ("image_edit", 20.0),
        ("layering", 20.0),
        ("video", 60.0),
        ("video_edit", 60.0),
        ("video_reframe", 60.0),
    )

    def interval(self, watched_for: float) -> float:
        current = self.steps[0][1]
        for since, interval in self.steps:
            if watched_for < since:
                break
            current = interval
        return current

    def first_look(self, generation: Generation) -> float:
        """Seconds from now to the first look at a generation polled one by one: near its kind's typical time since
        it was made (so a wait that starts late, after a restart or a second call, does not wait it out again),
        and never sooner than one interval."""
        typical = dict(self.typical_seconds).get(generation.generation_type or "")
        created = generation.created
        if typical is None or created is None:
            return self.interval(0)
        age = (datetime.now(UTC) - (created if created.tzinfo else created.replace(tzinfo=UTC))).total_seconds()
        return max(self.interval(0), typical - max(0.0, age))


@dataclass(eq=False)
class Watch:
    """What the poller knows of one generation; shared by everyone watching it."""

    generation: Generation
    started: float
    due: float
    watchers: int = 0
    awaiting_answer: bool = False
    """A request about it is out; it is left out of later rounds until that answer (or its timeout) comes."""
    heard_at: float | None = None
    """When Luma last told the poller this generation's state; None until the first look."""
    error: LumaMCPError | None = None
    changed: anyio.Event = field(default_factory=anyio.Event)

    def publish(self, generation: Generation | None = None, error: LumaMCPError | None = None) -> None:
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
    """`fetch_one` is `GET /generations/{id}`; `fetch_page(limit, offset)` is `GET /generations`, newest first."""

    def __init__(
        self,
        fetch_one: FetchOne,
        fetch_page: FetchPage | None = None,
        *,
        schedule: PollSchedule = PollSchedule(),
        on_change: OnChange | None = None,
    ) -> None:
        self._fetch_one = fetch_one
        self._fetch_page = fetch_page
        self._schedule = schedule
        self._on_change = on_change
        self._watches: dict[str, Watch] = {}
        self._watches_changed = anyio.Event()
        self._listing = False
        self._get_slots = anyio.Semaphore(MAX_CONCURRENT_GETS)
        self._stopped = anyio.CancelScope()
        self._task_group: TaskGroup | None = None

    def start(self, task_group: TaskGroup) -> None:
        """Run the polling loop (and `follow` tasks) in `task_group` until `stop`, or until the group is cancelled.
        The poller's owner runs it in a group of its own making: one group serves every account's poller."""
        self._task_group = task_group
        task_group.start_soon(self._run_until_stopped, name="poller")

    def stop(self) -> None:
        """End the polling loop; for a poller nobody watches through any more."""
        self._stopped.cancel()

    async def _run_until_stopped(self) -> None:
        with self._stopped:
            await self._run()

    @property
    def watching(self) -> frozenset[str]:
        """Ids of the generations being polled right now."""
        return frozenset(self._watches)

    def latest(self, generation_id: str) -> Generation | None:
        """The state of a generation being polled, if Luma told it recently enough (see `PollSchedule.fresh_for`):
        a caller about to wait for it can start from this instead of asking Luma once more."""
        watch = self._watches.get(generation_id)
        if watch is None or watch.heard_at is None or watch.error is not None:
            return None
        if anyio.current_time() - watch.heard_at > self._schedule.fresh_for:
            return None
        return watch.generation

    @asynccontextmanager
    async def watch(self, generation: Generation) -> AsyncIterator[Watch]:
        """Keep `generation` polled until it finishes or every watcher has left this block."""
        watch = self._join(generation)
        try:
            yield watch
        finally:
            self._leave(watch)

    def follow(self, generation: Generation, on_end: Callable[[], None] | None = None) -> Callable[[], None]:
        """Poll `generation` in the background, with nobody waiting, until it finishes or the returned
        function is called (then `on_end` is called); resource subscribers use this to get updates. It is watched
        from this call on, so its account counts as in use at once, not only once the background task first runs."""
        scope = anyio.CancelScope()
        watch = self._join(generation)

        async def keep_polled() -> None:
            try:
                with scope:
                    while not watch.generation.is_terminal and watch.error is None:
                        await watch.next_change(math.inf)
            finally:
                self._leave(watch)
                if on_end is not None:
                    on_end()

        assert self._task_group is not None, "Poller.follow before Poller.start"
        self._task_group.start_soon(keep_polled, name=f"follow {generation.id}")
        return scope.cancel

    def _join(self, generation: Generation) -> Watch:
        watch = self._watches.get(generation.id)
        if watch is None:
            now = anyio.current_time()
            one_by_one = self._fetch_page is None
            first = self._schedule.first_look(generation) if one_by_one else self._schedule.interval(0)
            watch = Watch(generation=generation, started=now, due=now + first)
            if not generation.is_terminal:
                self._watches[generation.id] = watch
                self._wake()
        watch.watchers += 1
        return watch

    def _leave(self, watch: Watch) -> None:
        watch.watchers -= 1
        if watch.watchers == 0 and self._is_watched(watch):
            del self._watches[watch.generation.id]

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
        progress bar keeps moving while Luma is dreaming. Without one the wait sleeps until the generation
        changes: a thousand waits cost nothing between two looks at Luma.
        """
        wake_every = heartbeat if on_update is not None else math.inf
        async with self.watch(generation) as watch:
            now = anyio.current_time()
            last_chance = max(now, now + timeout - self._schedule.last_chance)
            if watch.due > last_chance:
                watch.due = last_chance
                self._wake()
            with anyio.move_on_after(timeout):
                while True:
                    if watch.error is not None:
                        raise watch.error
                    if on_update is not None:
                        await on_update(watch.generation)
                    if watch.generation.is_terminal:
                        break
                    await watch.next_change(wake_every)
            return watch.generation

    def _wake(self) -> None:
        self._watches_changed.set()
        self._watches_changed = anyio.Event()

    async def _run(self) -> None:
        """The one scheduling loop: sleep until the earliest generation is due, then send its look off in a
        task of its own. A generation waiting on an answer is left out of later rounds until that answer (or
        its timeout) comes, so a slow answer for one generation never delays the others. One listing at a time:
        generations falling due while its pages come in wait for it to end and go together in the next one,
        rather than splitting a tick into many small lists that miss them."""
        while True:
            changed = self._watches_changed
            idle = [watch for watch in self._watches.values() if not watch.awaiting_answer]
            if not idle or self._listing:
                await changed.wait()
                continue
            now = anyio.current_time()
            earliest = min(watch.due for watch in idle)
            if earliest > now:
                with anyio.move_on_after(earliest - now):
                    await changed.wait()
                continue
            due = [watch for watch in idle if watch.due <= now]
            due_soon: list[Watch] = []
            if self._fetch_page is not None:
                due_soon = [w for w in idle if now < w.due <= now + self._schedule.batch_slack]
            batch = due + due_soon if len(due) + len(due_soon) > 1 else due
            for watch in batch:
                watch.awaiting_answer = True
            for watch in due:
                self._reschedule(watch, now)
            assert self._task_group is not None
            self._task_group.start_soon(self._look_at, batch, frozenset(due))

    def _reschedule(self, watch: Watch, looked_at: float) -> None:
        watch.due = looked_at + self._schedule.interval(looked_at - watch.started)

    def _answered(self, watch: Watch) -> None:
        watch.awaiting_answer = False
        self._wake()

    def _is_watched(self, watch: Watch) -> bool:
        return self._watches.get(watch.generation.id) is watch

    async def _look_at(self, batch: list[Watch], due: frozenset[Watch]) -> None:
        """List pages for the whole batch when there is more than one; then a GET for each generation that was
        due and is not in them. A generation due a little later, not in the pages, keeps its turn."""
        found: dict[str, Generation] = {}
        if len(batch) > 1 and self._fetch_page is not None:
            self._listing = True
            try:
                found = await self._list(batch, self._fetch_page)
            finally:
                self._listing = False
        for watch in batch:
            if watch.generation.id in found:
                await self._record(watch, found[watch.generation.id])
            if watch.generation.id in found or watch not in due:
                watch.awaiting_answer = False
        self._wake()
        async with anyio.create_task_group() as group:
            for watch in due:
                if watch.generation.id not in found:
                    group.start_soon(self._look_at_one, watch)

    async def _list(self, batch: list[Watch], fetch_page: FetchPage) -> dict[str, Generation]:
        """Page through the newest generations, `offset` moving a page at a time, while a generation of the batch
        is still missing, the last page was full and held any generation being watched: generations in flight are
        usually the newest, so N of them take about N/100 pages, and one older than all of them is left to its
        own GET rather than paging through the whole account. Paging stops once nobody watches the missing ones."""
        wanted = {watch.generation.id: watch for watch in batch}
        limit = min(MAX_LIST_LIMIT, max(20, 2 * len(self._watches)))
        found: dict[str, Generation] = {}
        offset = 0
        while True:
            asked_at = anyio.current_time()
            try:
                page = await fetch_page(limit, offset)
            except LumaMCPError as exc:
                logger.info("Listing generations failed (%s); looking at the rest one by one", exc)
                return found
            except Exception:
                logger.exception("Listing generations failed unexpectedly; looking at the rest one by one")
                return found
            for generation in page:
                watch = wanted.get(generation.id)
                if watch is not None and generation.id not in found:
                    found[generation.id] = generation
                    self._reschedule(watch, asked_at)
            watched_here = any(generation.id in self._watches for generation in page)
            missing = any(watch.generation.id not in found and self._is_watched(watch) for watch in batch)
            if not missing or len(page) < limit or not watched_here:
                return found
            offset += limit

    async def _look_at_one(self, watch: Watch) -> None:
        generation_id = watch.generation.id
        try:
            async with self._get_slots:
                if not self._is_watched(watch):
                    return  # everyone left while this look waited for a slot
                latest = await self._fetch_one(generation_id)
        except LumaMCPError as exc:
            if is_transient(exc):
                logger.info("Polling %s failed for now: %s", generation_id, exc)
            else:
                self._forget(watch)
                watch.publish(error=exc)
            return
        except Exception:
            logger.exception("Polling %s failed unexpectedly; trying again next tick", generation_id)
            return
        finally:
            self._answered(watch)
        await self._record(watch, latest)

    async def _record(self, watch: Watch, latest: Generation) -> None:
        watch.heard_at = anyio.current_time()
        if latest.is_terminal:
            self._forget(watch)
        if _differs(latest, watch.generation):
            watch.publish(latest)
            await self._notify(latest)

    def _forget(self, watch: Watch) -> None:
        if self._is_watched(watch):
            del self._watches[watch.generation.id]

    async def _notify(self, generation: Generation) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change(generation)
        except Exception:
            logger.exception("Change listener failed for %s", generation.id)


def _differs(a: Generation, b: Generation) -> bool:
    """A change watchers hear of. A fresh URL for the same output is not one: the Agents API signs its output URLs
    anew on every look, and each look would otherwise notify every subscriber."""
    return _what_watchers_see(a) != _what_watchers_see(b)


def _what_watchers_see(generation: Generation) -> tuple[object, ...]:
    assets = generation.assets
    present = () if assets is None else tuple(name for name, url in assets if url)
    outputs = len(generation.outputs or ())
    return (generation.state, generation.failure_reason, generation.failure_code, present, outputs)
