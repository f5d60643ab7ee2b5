"""`CreateQueue`: keeps paid creates within Luma's limits by waiting here, in the open, instead of failing.

Luma's Build tier allows 20 create requests a minute and 10 generations in flight per account (other plans allow
more: LUMA_MCP_CREATES_PER_MINUTE and LUMA_MCP_MAX_IN_FLIGHT), and Photon images 80 and 40 apart from those (an
account keeps one queue per family). A burst of requests from an assistant (a
storyboard of twelve shots, say) would otherwise come back as rate-limit errors the model has to understand and
retry. Here each create waits for a slot, and the caller is told what it waits for.

In flight means created here and not yet seen completed, failed or deleted. While a create waits for an
in-flight slot, it has the poller watch every generation that holds one, so their ends are noticed within a poll
tick even when nobody else waits for them; a generation still counted after `CreateLimits.in_flight_for_at_most`
(Luma unreachable all that time, say) stops counting, so no slot is held forever.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from dataclasses import dataclass, field

import anyio

from .errors import NotFoundError, RateLimitError
from .errors.wording import no_create_slot, no_in_flight_slot, still_rate_limited
from .models import Generation
from .poller import Watch
from .timing import time_left

Report = Callable[[str], Awaitable[None]]
WatchGeneration = Callable[[Generation], AbstractAsyncContextManager[Watch]]
"""`Poller.watch`: keeps a generation polled while the block runs."""

SLOT_CHECK_SECONDS = 1.0
"""How often a create waiting for an in-flight slot looks at the watches it holds (for a deleted generation)."""


@dataclass(frozen=True)
class CreateLimits:
    """`per_window` creates per `window` seconds (Luma: 20 a minute) and `max_in_flight` generations not yet
    finished (Luma: 10); 0 turns either off. When Luma answers 429 without a Retry-After anyway (generations
    started elsewhere on the account, say), try again after `busy_retry` seconds."""

    per_window: int = 20
    window: float = 60.0
    busy_retry: float = 5.0
    max_in_flight: int = 10
    in_flight_for_at_most: float = 900.0


@dataclass(eq=False)
class CreateLedger:
    """An account's creates that must outlive its connection: when each recent create was sent, and which
    generations are in flight (by id, with when they started counting)."""

    sent: deque[float] = field(default_factory=deque)
    in_flight: dict[str, float] = field(default_factory=dict)
    starting: int = 0
    """Creates sent and not answered yet: they hold an in-flight slot too."""
    slot_freed: anyio.Event = field(default_factory=anyio.Event)

    def settle(self, generation_id: str) -> None:
        """`generation_id` has completed, failed or gone: its in-flight slot is free."""
        if self.in_flight.pop(generation_id, None) is not None:
            self._free()

    @contextmanager
    def starting_one(self) -> Iterator[None]:
        """Hold an in-flight slot for a create on its way, until it is answered."""
        self.starting += 1
        try:
            yield
        finally:
            self.starting -= 1
            self._free()

    def _free(self) -> None:
        self.slot_freed.set()
        self.slot_freed = anyio.Event()


class CreateQueue:
    """`reserve`: queueing stops that long (at most half the call's time) before the call's deadline, so the
    create itself, and the search for it should its answer be lost, still fit in the call."""

    def __init__(
        self,
        limits: CreateLimits,
        ledger: CreateLedger | None = None,
        *,
        watch: WatchGeneration,
        reserve: float,
    ) -> None:
        self._limits = limits
        self._ledger = ledger or CreateLedger()
        self._watch = watch
        self._reserve = reserve

    @property
    def ledger(self) -> CreateLedger:
        return self._ledger

    async def submit(self, create: Callable[[], Awaitable[Generation]], *, report: Report) -> Generation:
        """Run `create` once a slot is free; give up with `RateLimitError` if none frees in time for it to run
        within the current call (see `luma_mcp.timing`)."""
        latest_start = anyio.current_time() + time_left(leave=self._reserve)
        while True:
            await self._wait_for_in_flight_slot(latest_start, report)
            with self._ledger.starting_one():  # taken at once: nothing was awaited since the count had room
                await self._take_window_slot(latest_start, report)
                try:
                    generation = await create()
                except RateLimitError as exc:
                    busy = exc
                else:
                    if not generation.is_terminal:
                        self._ledger.in_flight[generation.id] = anyio.current_time()
                    return generation
            await self._wait_out(busy, latest_start, report)

    async def _wait_out(self, busy: RateLimitError, latest_start: float, report: Report) -> None:
        """Luma said 429 all the same: wait as long as it asks, if that still leaves time to create."""
        delay = busy.retry_after if busy.retry_after is not None else self._limits.busy_retry
        if anyio.current_time() + delay > latest_start:
            raise still_rate_limited(busy, delay) from busy
        await report(f"Luma is at a limit (creates a minute or jobs running); queued, trying again in {delay:.0f} s")
        await anyio.sleep(delay)

    def _in_flight(self) -> int:
        ledger = self._ledger
        oldest = anyio.current_time() - self._limits.in_flight_for_at_most
        for generation_id in [gid for gid, since in ledger.in_flight.items() if since < oldest]:
            del ledger.in_flight[generation_id]
        return len(ledger.in_flight) + ledger.starting

    async def _wait_for_in_flight_slot(self, latest_start: float, report: Report) -> None:
        """Return once fewer than `max_in_flight` generations are in flight, keeping those that are watched
        meanwhile so their ends are noticed; give up at `latest_start`."""
        limit = self._limits.max_in_flight
        ledger = self._ledger
        async with AsyncExitStack() as watching:
            watches: dict[str, Watch] = {}
            while limit and self._in_flight() >= limit:
                now = anyio.current_time()
                if now >= latest_start:
                    raise no_in_flight_slot(limit)
                await report(f"Luma allows {limit} generations in flight and {limit} are running; queued here")
                for generation_id in ledger.in_flight.keys() - watches.keys():
                    watches[generation_id] = await watching.enter_async_context(
                        self._watch(Generation(id=generation_id))
                    )
                with anyio.move_on_after(min(SLOT_CHECK_SECONDS, latest_start - now)):
                    await ledger.slot_freed.wait()
                for generation_id, watch in watches.items():
                    if watch.generation.is_terminal or isinstance(watch.error, NotFoundError):
                        ledger.settle(generation_id)

    async def _take_window_slot(self, latest_start: float, report: Report) -> None:
        # No lock: nothing awaits between counting the window and taking the slot, so two callers cannot both
        # take the last one; a caller that loses a race for a freed slot simply waits for the next.
        sent = self._ledger.sent
        limit, window = self._limits.per_window, self._limits.window
        while limit:
            now = anyio.current_time()
            while sent and sent[0] <= now - window:
                sent.popleft()
            if len(sent) < limit:
                sent.append(now)
                return
            free_at = sent[0] + window
            if free_at > latest_start:
                raise no_create_slot(limit, window, free_at - now)
            await report(
                f"Luma allows {limit} creates per {window:.0f} s; queued here, sending in {free_at - now:.0f} s"
            )
            await anyio.sleep(free_at - now)
