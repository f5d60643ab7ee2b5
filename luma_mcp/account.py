"""`Account`: one Luma account as the tools see it, with its backend and, behind it, the machinery that keeps its
generations watched and its creates within Luma's limits.

Tool code asks an account to start a job, wait for a generation, follow one for subscribers or delete one; it never
touches the poller, the create queue or the backend itself. Plain reads (a generation, a list page, the catalogs)
go to `account.reads`, the backend as a read-only `LumaReads`. Every change the account makes or sees is reported
by its name, the digest of its key (see `luma_mcp.accounts`), never by the key.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from .admission import CreateLedger, CreateLimits, CreateQueue, Report
from .backend import Job, LumaBackend, LumaReads, kind_and_body
from .client import HANDED_OUT_MEMORY
from .errors import CreateOutcomeUnknownError, LumaMCPError
from .errors.wording import (
    ledger_unreadable,
    spending_cap_reached,
    spending_cap_unkept,
    spending_cap_without_ledger,
)
from .ledger import Kept, Ledger, LedgerEntry, Spending, UnknownCreate
from .models import Generation, ImageRequest, ReframeImageRequest
from .poller import OnChange, Poller, PollSchedule
from .spending import Price, counted_spending, price_of, start_of_today

logger = logging.getLogger(__name__)

LIST_PAGE = 100
"""The most generations Luma is asked for in one list request (its documented page size)."""
LEDGER_WRITE_SECONDS = 2.0
"""The longest a call waits to note a paid job in the ledger, even past its deadline."""
UPLOADS_MEMORY = 1024
"""Uploaded files remembered per account when there is no ledger."""
RESUME_WITHIN = timedelta(days=1)
"""A restarted server takes up the unfinished generations made this recently. No generation runs that long (the
Agents API drops a job still active after an hour), so an older unfinished row is one whose end nobody saw, not one
still running; a day still covers a server stopped overnight."""
RESUME_AT_MOST = 50
"""And at most this many of them, the newest: five times Luma's default of 10 in flight, so a ledger full of rows
whose end nobody saw cannot set a restarted server polling hundreds of generations at once."""

Changed = Callable[[str, str], None]
"""Told `(account name, generation id)` whenever one of the account's generations is made, changes or goes."""


@dataclass(eq=False)
class AccountMemory:
    """What an account must not forget when its connection is closed and opened again: the create rate window and
    the generations in flight, the ids of paid generations already handed out, and (without a ledger) the files
    already uploaded."""

    creates: CreateLedger = field(default_factory=CreateLedger)
    image_creates: CreateLedger = field(default_factory=CreateLedger)
    """Photon's creates: Luma limits its image models apart from its video models (luma-api.md §9)."""
    handed_out: deque[str] = field(default_factory=lambda: deque(maxlen=HANDED_OUT_MEMORY))
    uploads: OrderedDict[str, str] = field(default_factory=OrderedDict)
    """File ids of uploaded local files by content hash, newest last, when there is no ledger to keep them."""


class Account:
    """Live from creation until `aclose`: its poller runs in `task_group` from the start."""

    def __init__(
        self,
        name: str,
        backend: LumaBackend,
        memory: AccountMemory,
        task_group: TaskGroup,
        *,
        schedule: PollSchedule,
        limits: CreateLimits,
        create_reserve: float,
        on_change: Changed,
        ledger: Ledger | None = None,
        image_limits: CreateLimits | None = None,
        max_spend_usd: float | None = None,
    ) -> None:
        """`image_limits`: Photon's own limits, for an API whose image models Luma limits apart from its video."""
        self.name = name
        self.backend = backend
        self.memory = memory
        self._ledger = ledger
        self._max_spend_usd = max_spend_usd
        self._uploading: dict[str, anyio.Lock] = {}
        """One lock per content being uploaded, so calls naming the same file at once upload it once."""
        self.leases = 0
        """Tool calls and resource reads acting for this account right now (see `Accounts.lease`)."""
        self._on_change = on_change
        self._poller = Poller(
            self._poll_one,
            self._poll_page if backend.lists_generations else None,
            schedule=schedule,
            on_change=self._seen_changed,
        )
        self._poller.start(task_group)
        self._creates = CreateQueue(limits, memory.creates, watch=self._poller.watch, reserve=create_reserve)
        self._image_creates = (
            CreateQueue(image_limits, memory.image_creates, watch=self._poller.watch, reserve=create_reserve)
            if image_limits
            else None
        )

    @property
    def reads(self) -> LumaReads:
        """The backend, for reads alone: what tool code may ask of it directly."""
        return self.backend

    @property
    def api(self) -> str:
        return self.backend.api

    @property
    def key_accepted(self) -> bool:
        return self.backend.key_accepted

    @property
    def watching(self) -> frozenset[str]:
        """Ids of the generations being polled for this account right now."""
        return self._poller.watching

    @property
    def in_use(self) -> bool:
        """Leased by a call, or polling for someone (a subscriber, a create waiting for a slot): not to be closed."""
        return self.leases > 0 or bool(self.watching)

    async def start(self, job: Job, *, report: Report) -> Generation:
        """Start a paid job once the spending cap and Luma's limits allow it, telling `report` what it waits for
        (see `CreateQueue`). Under a cap the job is held against the day's spending in the ledger before it is sent
        (see `Ledger.hold`) and stays counted there: as its row once Luma took it, as a create of unknown outcome if
        its answer was lost, and as the hold itself if neither could be written. Only a job that was never sent, or
        that Luma refused, stops counting."""
        price = price_of(job, self.api)
        hold = await self._hold(price)
        sent = False

        def send() -> Awaitable[Generation]:
            nonlocal sent
            sent = True
            return self.backend.start(job)

        try:
            await anyio.lowlevel.checkpoint()  # a cancellation that came while the hold was written ends it here
            photon = isinstance(job, ImageRequest | ReframeImageRequest)
            queue = self._image_creates if self._image_creates and photon else self._creates
            generation = await queue.submit(send, report=report)
        except CreateOutcomeUnknownError as lost:
            await self._write(self._record_unknown(job, price, str(lost), hold))
            raise
        except BaseException as stopped:
            # A job cut off while being sent may have been charged: its hold stays.
            if hold is not None and (isinstance(stopped, Exception) or not sent):
                with anyio.CancelScope(shield=True), anyio.move_on_after(LEDGER_WRITE_SECONDS):
                    await self._write(self._release(hold))
            raise
        self._on_change(self.name, generation.id)
        # Luma took the job: its row is written even if this call is being cut off, or it could not be found again.
        with anyio.CancelScope(shield=True), anyio.move_on_after(LEDGER_WRITE_SECONDS):
            await self._write(self._record_started(generation, job, price, hold))
        return generation

    async def check_spending(self, price: Price) -> None:
        """Refuse, before anything is sent (or the user is asked to confirm its cost), a create that would take
        today's spending past the daily cap. Without a ledger a cap cannot be kept, so every create is refused
        rather than the cap ignored. `start` judges again, and holds the create, as it sends it."""
        cap = self._max_spend_usd
        if cap is None:
            return
        try:
            spending = await self._ledger_or_refuse(cap).spending(self.name, since=start_of_today())
        except (OSError, sqlite3.Error) as exc:
            raise spending_cap_unkept(cap, exc) from exc
        if not self._fits(spending, price, cap):
            raise self._over_cap(spending, price, cap)

    def _ledger_or_refuse(self, cap: float) -> Ledger:
        if self._ledger is None:
            raise spending_cap_without_ledger(cap)
        return self._ledger

    async def _hold(self, price: Price) -> str | None:
        """The job's hold against the daily cap (None when no cap is set), or the cap's refusal."""
        cap = self._max_spend_usd
        if cap is None:
            return None
        ledger = self._ledger_or_refuse(cap)
        try:
            hold, spending = await ledger.hold(
                self.name,
                price.counted_usd,
                since=start_of_today(),
                fits=lambda spending: self._fits(spending, price, cap),
            )
        except (OSError, sqlite3.Error) as exc:
            raise spending_cap_unkept(cap, exc) from exc
        if hold is None:
            raise self._over_cap(spending, price, cap)
        return hold

    def _fits(self, spending: Spending, price: Price, cap: float) -> bool:
        return round(counted_spending(spending, self.api) + price.counted_usd, 4) <= cap

    def _over_cap(self, spending: Spending, price: Price, cap: float) -> LumaMCPError:
        return spending_cap_reached(
            self.api,
            spent_today=counted_spending(spending, self.api),
            cap=cap,
            priced=price.described(self.api),
        )

    async def upload(self, path: Path, *, media_type: str, sha256: str) -> str:
        """The id of a Luma file with the checked local file's content, uploaded once per account: a file uploaded
        before (kept in the ledger, or in memory without one) is named again while Luma still has it."""
        lock = self._uploading.setdefault(sha256, anyio.Lock())
        try:
            async with lock:
                return await self._upload_once(path, media_type=media_type, sha256=sha256)
        finally:
            if not lock.locked() and not lock.statistics().tasks_waiting:
                self._uploading.pop(sha256, None)

    async def _upload_once(self, path: Path, *, media_type: str, sha256: str) -> str:
        earlier = await self._uploaded(sha256)
        if earlier is not None and (ready := await self.backend.uploaded_media(earlier, path)) is not None:
            return ready

        async def sent(file_id: str) -> None:
            # Kept before Luma has taken it in: a call that runs out of time waiting names it again next time.
            if self._ledger is None:
                self.memory.uploads[sha256] = file_id
                while len(self.memory.uploads) > UPLOADS_MEMORY:
                    self.memory.uploads.popitem(last=False)
            else:
                await self._write(self._ledger.upload_sent(self.name, sha256, file_id))

        return await self.backend.upload_media(path, media_type=media_type, sha256=sha256, sent=sent)

    async def _uploaded(self, sha256: str) -> str | None:
        if self._ledger is None:
            return self.memory.uploads.get(sha256)
        try:
            return await self._ledger.uploaded(self.name, sha256)
        except sqlite3.Error:
            logger.exception("Could not read the ledger")
            return None

    async def made(self, generation_id: str) -> bool:
        """Whether this account made the generation, as far as this server knows (its ledger, or its poller)."""
        if generation_id in self._poller.watching:
            return True
        return await self._entry(generation_id) is not None

    async def look(self, generation_id: str, *, about_to_wait: bool = False) -> Generation:
        """The generation as Luma reports it. A caller `about_to_wait` for it starts from the poller's view when it
        already watches it: the poller looks again within a tick anyway, so asking Luma now would be a request
        more for the same answer."""
        recent = self._poller.latest(generation_id) if about_to_wait else None
        generation = recent or await self.backend.get_generation(generation_id)
        if generation.request is not None:
            return generation  # an API that echoes the request (Dream Machine) lists its own state too
        entry = await self._entry(generation_id)
        if entry is None:
            return generation
        if recent is None and entry.state != generation.state:
            await self._seen(generation)
        return _with_request(generation, entry.request)

    async def wait(self, generation: Generation, *, timeout: float, on_update: OnChange | None = None) -> Generation:
        """Wait until `generation` finishes or `timeout` passes (see `Poller.wait`)."""
        latest = await self._poller.wait(generation, timeout=timeout, on_update=on_update)
        return _with_request(latest, generation.request)

    async def resume(self) -> None:
        """Follow again the generations this account started that the ledger last saw unfinished (the server stopped
        before they did; see `RESUME_WITHIN`, `RESUME_AT_MOST`): their rows, their subscribers and the in-flight
        count hear how they end, as if no restart had happened. Only a server's own keys are resumed: a key a
        request brought is never stored, so nothing could open its account again."""
        if self._ledger is None:
            return
        try:
            entries = await self._ledger.unfinished(
                self.name, made_since=datetime.now(UTC) - RESUME_WITHIN, limit=RESUME_AT_MOST
            )
        except sqlite3.Error:
            logger.exception("Could not read the ledger; unfinished generations are not followed again")
            return
        for entry in entries:
            photon = entry.kind in ("image", "reframe_image")
            queue = self._image_creates if self._image_creates and photon else self._creates
            queue.ledger.in_flight.setdefault(entry.id, anyio.current_time())
            self._poller.follow(_generation_of(entry))
        if entries:
            logger.info("Following %d unfinished generations again (%s API)", len(entries), self.api)

    def follow(self, generation: str | Generation, on_end: Callable[[], None] | None = None) -> Callable[[], None]:
        """Keep a generation polled for subscribers until it finishes or the returned function is called (see
        `Poller.follow`). One known by its id alone is taken to be queued until the first poll brings its real
        state."""
        return self._poller.follow(Generation(id=generation) if isinstance(generation, str) else generation, on_end)

    async def downloaded(self, generation_id: str, paths: list[str]) -> None:
        """Note in the ledger where a generation's files were saved."""
        if self._ledger is not None:
            await self._write(self._ledger.downloaded(self.name, generation_id, paths))

    async def kept(self, generation_id: str) -> Kept:
        """What the ledger keeps of a generation of this account that Luma does not say: where it was saved, and its
        estimate (nothing without a ledger, or for one this server did not start)."""
        if self._ledger is None:
            return Kept()
        try:
            return await self._ledger.kept(self.name, generation_id)
        except sqlite3.Error:
            logger.exception("Could not read the ledger")
            return Kept()

    async def recent(self, *, limit: int, offset: int) -> tuple[list[Generation], bool]:
        """The account's generations, newest first, and whether more follow: from Luma where its API lists them
        (a page of at most `LIST_PAGE` a request), else those this server started, as the ledger last saw them (no
        output URLs: those are signed for an hour; looking one up gets fresh ones)."""
        if self.backend.lists_generations:
            return await self._listed(limit=limit, offset=offset)
        if self._ledger is None:
            return [], False
        try:
            entries = await self._ledger.recent(self.name, limit=limit + 1, offset=offset)
        except sqlite3.Error as exc:
            raise ledger_unreadable(exc) from exc
        generations = [_generation_of(entry) for entry in entries]
        return generations[:limit], len(generations) > limit

    async def _listed(self, *, limit: int, offset: int) -> tuple[list[Generation], bool]:
        found: list[Generation] = []
        while True:
            asked = min(LIST_PAGE, limit - len(found))
            page = await self.backend.list_generations(limit=asked, offset=offset + len(found))
            found += page.generations
            more = page.has_more if page.has_more is not None else len(page.generations) == asked
            if len(found) >= limit or not more:
                return found, more

    async def spent(self, *, since: datetime) -> Spending | None:
        """What this account's generations made here since `since` cost, by estimate; None without a ledger."""
        if self._ledger is None:
            return None
        try:
            return await self._ledger.spending(self.name, since=since)
        except sqlite3.Error as exc:
            raise ledger_unreadable(exc) from exc

    async def forget(self, generation_id: str) -> bool:
        """Remove a generation from the ledger (not from Luma); True if it was there."""
        if self._ledger is None:
            return False
        try:
            return await self._ledger.forget(self.name, generation_id)
        except sqlite3.Error as exc:
            raise ledger_unreadable(exc) from exc

    async def delete(self, generation_id: str) -> None:
        await self.backend.delete_generation(generation_id)
        self._on_change(self.name, generation_id)

    async def aclose(self) -> None:
        self._poller.stop()
        await self.backend.aclose()

    async def _poll_one(self, generation_id: str) -> Generation:
        return await self.backend.get_generation(generation_id, poll=True)

    async def _poll_page(self, limit: int, offset: int) -> list[Generation]:
        return (await self.backend.list_generations(limit=limit, offset=offset, poll=True)).generations

    async def _seen_changed(self, generation: Generation) -> None:
        if generation.is_terminal:
            self.memory.creates.settle(generation.id)
            self.memory.image_creates.settle(generation.id)
        self._on_change(self.name, generation.id)
        await self._seen(generation)

    async def _seen(self, generation: Generation) -> None:
        """Note in the ledger what Luma last said of one of our generations (nothing for one made elsewhere)."""
        if self._ledger is not None:
            await self._write(
                self._ledger.seen(
                    self.name,
                    generation.id,
                    state=generation.state,
                    outputs=generation.outputs or (),
                    failure_reason=generation.failure_reason,
                    failure_code=generation.failure_code,
                )
            )

    async def _entry(self, generation_id: str) -> LedgerEntry | None:
        """The ledger's row for a generation; a ledger that cannot be read knows nothing (and says so in the log)."""
        if self._ledger is None:
            return None
        try:
            return await self._ledger.get(self.name, generation_id)
        except sqlite3.Error:
            logger.exception("Could not read the ledger")
            return None

    async def _release(self, hold: str) -> None:
        if self._ledger is not None:
            await self._ledger.release(self.name, hold)

    async def _record_unknown(self, job: Job, price: Price, reason: str, hold: str | None) -> None:
        """A create that may have been charged and cannot be found: kept, so a count of what was spent can say so."""
        if self._ledger is None:
            return
        kind, request = kind_and_body(job)
        model = request.get("model")
        model = model if isinstance(model, str) else None
        unknown = UnknownCreate(
            api=self.api,
            kind=kind,
            request=request,
            reason=reason,
            model=model,
            estimated_cost_usd=price.usd,
        )
        await self._ledger.outcome_unknown(self.name, unknown, hold=hold)

    async def _record_started(self, generation: Generation, job: Job, price: Price, hold: str | None) -> None:
        if self._ledger is None:
            return
        kind, request = kind_and_body(job)
        entry = LedgerEntry(
            id=generation.id,
            api=self.backend.api,
            kind=kind,
            request=request,
            state=generation.state,
            model=generation.model,
            estimated_cost_usd=price.usd,
            counted_usd=price.counted_usd,
        )
        if generation.created_at:
            entry = replace(entry, created_at=generation.created_at)
        await self._ledger.started(self.name, entry, hold=hold)

    @staticmethod
    async def _write(writing: Awaitable[None]) -> None:
        """A ledger that cannot be written (a full disk, say) must not fail a call whose job Luma took."""
        try:
            await writing
        except (OSError, sqlite3.Error):
            logger.exception("Could not write to the ledger")


def _generation_of(entry: LedgerEntry) -> Generation:
    """A generation as the ledger last saw it: no output URLs, which are signed for an hour."""
    return Generation(
        id=entry.id,
        api=entry.api,
        generation_type=entry.kind,
        state=entry.state,
        failure_reason=entry.failure_reason,
        failure_code=entry.failure_code,
        created_at=entry.created_at,
        model=entry.model,
        request=entry.request,
    )


def _with_request(generation: Generation, request: dict[str, Any] | None) -> Generation:
    """An API that echoes no request (the Agents API) still shows the prompt: from what we sent, or the ledger."""
    if generation.request is not None or request is None:
        return generation
    return generation.model_copy(update={"request": request})
