"""`Accounts`: the Luma accounts one server acts for, one per API key, each with its own backend, poller and limits.

Over stdio there is one user and one key, from LUMA_API_KEY. Over HTTP one server may serve several people, each
passing their own key in the `X-Luma-Api-Key` header; their generations, polls and rate limits never mix.

A tool call or resource read holds a lease on its account for as long as it runs, and an account in use is never
closed. What must outlive a closed connection (the create rate window and the generations in flight, the ids of
paid generations already handed out) is kept by key digest and handed to the account when it is opened again.
Keys Luma has not accepted yet are capped apart from the accepted ones, so a flood of made-up keys can only push
out other made-up keys.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
from anyio.abc import TaskGroup

from .account import Account, AccountMemory, Changed
from .admission import CreateLimits
from .agents_client import AgentsClient
from .backend import LumaBackend
from .client import DreamMachineClient
from .errors import NotFoundError
from .errors.wording import empty_key_header, merged_list_too_deep, no_key_for, unusable_key_header
from .ledger import Ledger
from .models import Generation
from .poller import PollSchedule
from .settings import Api, Settings, api_of_key

logger = logging.getLogger(__name__)

DEFAULT_API: Api = "dream-machine"
"""The API a request without any key is told to get one for (its key page is the better known)."""
MERGED_LIST_DEPTH = 200
"""With both APIs, the newest this many of each are merged; past that, a page asks for one API (api=...)."""
API_KEY_HEADER = "x-luma-api-key"
AGENTS_KEY_HEADER = "x-luma-agents-api-key"
MAX_OPEN_ACCOUNTS = 64
"""Open connections to Luma for keys it has accepted; past this, the least recently used idle one is closed."""
MAX_OPEN_UNPROVEN = 16
"""Open connections for keys Luma has not accepted (yet); made-up keys only ever compete with each other here."""
MAX_REMEMBERED_ACCOUNTS = 1024
"""Accepted keys whose rate window and handed-out ids are kept after their connection closed."""
MAX_KNOWN_ROUTES = 50_000
"""Generation ids whose account is remembered in memory (a few MiB at most); older ones are asked again."""
LEDGER_ROUTES = 10_000
"""An account's ledger is read whole into its routes when it holds at most this many generations."""

# The accounts a tool call or resource read acts for, set by `Accounts.lease` for the length of the call.
_leased: ContextVar[Caller | None] = ContextVar("luma_mcp_leased_caller", default=None)


def api_keys_from(headers: Mapping[str, str] | None, own: Mapping[Api, str]) -> dict[Api, str]:
    """The keys a request acts with, one per API: those its headers carry (HTTP), else the server's `own`.

    `X-Luma-Api-Key` carries either kind (told apart by its prefix) and `X-Luma-Agents-Api-Key` an Agents key. A
    request that sends any key acts with its keys alone: quietly adding the operator's key for the other API would
    spend someone else's credits. So is a header that is present but empty, or not printable ASCII, refused."""
    sent: dict[Api, str] = {}
    headers = headers or {}
    if (raw := headers.get(API_KEY_HEADER)) is not None:
        key = _usable(raw, API_KEY_HEADER)
        sent[api_of_key(key)] = key
    if (raw := headers.get(AGENTS_KEY_HEADER)) is not None:
        sent["agents"] = _usable(raw, AGENTS_KEY_HEADER)
    return sent if sent else dict(own)


def _usable(raw: str, header: str) -> str:
    key = raw.strip()
    if not key:
        raise empty_key_header(header)
    if not (key.isascii() and key.isprintable()):
        raise unusable_key_header(header)
    return key


def account_of(api: Api, api_key: str) -> str:
    """A stable name for an account that is not its key: a SHA-256 of API and key, so no registry holds a second
    copy of the key."""
    return hashlib.sha256(f"{api}\n{api_key}".encode()).hexdigest()


class Routes:
    """Which account each generation belongs to, as this server has learned it: by starting it, from the ledger, or
    from Luma answering for that account's key. With two keys, every call that names a generation must pick an
    API; asking the ledger each time queues such calls behind one another (SQLite is read one statement at a time),
    so an account's ledger is read once, whole, and what was learned is kept here. Each entry pairs an account
    with an id, so what one key's calls taught never routes another key's. The least recently used fall out past
    `size`; an account that loses one is no longer known whole, and its unknown ids are asked of the ledger again.
    """

    def __init__(self, ledger: Ledger | None, size: int = MAX_KNOWN_ROUTES) -> None:
        self._ledger = ledger
        self._size = size
        self._known: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._loads: OrderedDict[str, anyio.Event] = OrderedDict()
        self._whole: set[str] = set()
        """Accounts all of whose ledger rows are known here."""

    def learn(self, account: str, generation_id: str) -> None:
        key = (account, generation_id)
        self._known[key] = None
        self._known.move_to_end(key)
        if len(self._known) > self._size:
            (forgotten, _), _ = self._known.popitem(last=False)
            self._whole.discard(forgotten)

    def knows(self, account: str, generation_id: str) -> bool:
        key = (account, generation_id)
        if key not in self._known:
            return False
        self._known.move_to_end(key)
        return True

    async def knows_whole_ledger(self, account: str) -> bool:
        """Whether every generation the ledger holds for `account` is known here, reading them in once (in one
        statement, however many calls ask at once) if the ledger holds at most `LEDGER_ROUTES` of them."""
        if self._ledger is None:
            return True
        loaded = self._loads.get(account)
        if loaded is not None:
            await loaded.wait()
            return account in self._whole
        loaded = self._loads[account] = anyio.Event()
        while len(self._loads) > MAX_REMEMBERED_ACCOUNTS:
            self._whole.discard(self._loads.popitem(last=False)[0])
        try:
            with anyio.CancelScope(shield=True):  # one quick local read, shared by every call waiting on it
                entries = await self._ledger.recent(account, limit=LEDGER_ROUTES + 1)
        except sqlite3.Error:
            logger.exception("Could not read the ledger")
            entries = None
        finally:
            loaded.set()
        if entries is not None and len(entries) <= LEDGER_ROUTES:
            self._whole.add(account)
            for entry in reversed(entries):  # oldest first, so the newest are the last to fall out
                self.learn(account, entry.id)
        return account in self._whole


@dataclass(frozen=True)
class Caller:
    """The accounts one request acts for: one per Luma API it has a key for, and what the server has learned of
    which of them each generation belongs to."""

    accounts: Mapping[Api, Account]
    routes: Routes
    input_folders: tuple[Path, ...] = ()
    """Where it may name local images and videos: the server's folders (LUMA_MCP_INPUT_DIRS) when it acts with the
    server's keys; none when it brings its own, as a remote user over HTTP does (the server's disk is not theirs)."""

    def account_for(self, api: Api) -> Account:
        """The request's account on `api`; refused with the key that unlocks it when there is none."""
        account = self.accounts.get(api)
        if account is None:
            raise no_key_for(api, keys_for=tuple(self.accounts))
        return account

    async def recent(self, *, limit: int, offset: int, api: Api | None = None) -> tuple[list[Generation], bool]:
        """The caller's generations, newest first, across its APIs (or `api`'s alone), and whether more follow.
        Across both APIs, the newest `MERGED_LIST_DEPTH` of each are merged; a page past them asks for one API."""
        accounts = [self.account_for(api)] if api else list(self.accounts.values()) or [self.account_for(DEFAULT_API)]
        if len(accounts) == 1:
            return await accounts[0].recent(limit=limit, offset=offset)
        if offset + limit > MERGED_LIST_DEPTH:
            raise merged_list_too_deep(MERGED_LIST_DEPTH)
        found: list[Generation] = []
        more = False
        for account in accounts:
            newest, further = await account.recent(limit=offset + limit, offset=0)
            found += newest
            more = more or further
        merged = sorted(found, key=_created, reverse=True)
        return merged[offset : offset + limit], more or len(merged) > offset + limit

    def learned(self, generation_id: str) -> Account | None:
        """The account a generation belongs to, if this server has learned it (see `Routes`): no I/O."""
        return next(
            (account for account in self.accounts.values() if self.routes.knows(account.name, generation_id)), None
        )

    async def made_by(self, generation_id: str) -> Account | None:
        """The account a generation belongs to, as far as this server knows: learned before, else its ledger or its
        poller."""
        if learned := self.learned(generation_id):
            return learned
        for account in self.accounts.values():
            if await account.made(generation_id):
                self.routes.learn(account.name, generation_id)
                return account
        return None

    async def account_that_made(self, generation_id: str) -> Account:
        """The account a generation belongs to: the one that made it, as far as this server knows; else the one
        whose API finds it (see `find`)."""
        if len(self.accounts) == 1:
            return next(iter(self.accounts.values()))  # one API: nothing to decide, and no ledger read
        return await self.made_by(generation_id) or (await self.find(generation_id))[0]

    async def find(self, generation_id: str, *, about_to_wait: bool = False) -> tuple[Account, Generation]:
        """The generation and the account it belongs to. One this server has not learned about (made elsewhere, or
        by another server sharing the ledger, or with the ledger off) is looked up on each API in turn, Dream Machine
        first: Luma answers "not found" for another API's id. Its ledger is asked only when it cannot be read whole."""
        first = await self.likely_maker(generation_id)
        missing: NotFoundError | None = None
        for account in [first, *(other for other in self.accounts.values() if other is not first)]:
            try:
                generation = await account.look(generation_id, about_to_wait=about_to_wait)
            except NotFoundError as error:
                if await account.made(generation_id):
                    raise  # made here and gone: deleted
                missing = error
                continue
            self.routes.learn(account.name, generation_id)
            return account, generation
        assert missing is not None, "a caller has at least one account"
        raise missing

    async def likely_maker(self, generation_id: str) -> Account:
        """The account a generation most likely belongs to, asking Luma nothing: one learned, else the one whose
        ledger holds it (each ledger read whole once, else this row alone), else the Dream Machine account. `find`
        looks there first; a subscription follows it there once it is learned, and on every account otherwise."""
        if learned := self.learned(generation_id):
            return learned
        if len(self.accounts) > 1:
            whole = [await self.routes.knows_whole_ledger(account.name) for account in self.accounts.values()]
            if not all(whole):
                return await self.made_by(generation_id) or self._first_to_ask()
        return self.learned(generation_id) or self._first_to_ask()

    def _first_to_ask(self) -> Account:
        """Without knowing better, the Dream Machine account, whose API can look up any of its generations."""
        return self.accounts.get("dream-machine") or self.accounts.get("agents") or self.account_for(DEFAULT_API)


def current_caller() -> Caller:
    """The accounts of the tool call or resource read in progress (see `Accounts.lease`)."""
    caller = _leased.get()
    if caller is None:
        raise RuntimeError("No Luma account is leased: call this inside Accounts.lease()")
    return caller


class Accounts:
    def __init__(
        self,
        settings: Settings,
        task_group: TaskGroup,
        *,
        schedule: PollSchedule,
        limits: CreateLimits,
        on_change: Changed,
        ledger: Ledger | None = None,
    ) -> None:
        self._settings = settings
        self._ledger = ledger
        self._task_group = task_group
        self._schedule = schedule
        self._limits = {
            "dream-machine": limits,
            "agents": CreateLimits(
                per_window=settings.agents_creates_per_minute, max_in_flight=settings.agents_max_in_flight
            ),
        }
        self._photon_limits = CreateLimits(
            per_window=settings.photon_creates_per_minute, max_in_flight=settings.photon_max_in_flight
        )
        self._on_change = on_change
        self._routes = Routes(ledger)
        self._open: OrderedDict[str, Account] = OrderedDict()  # least recently used first
        self._memories: OrderedDict[str, AccountMemory] = OrderedDict()

    @asynccontextmanager
    async def lease(self, headers: Mapping[str, str] | None) -> AsyncIterator[Caller]:
        """Hold the request's accounts open for the whole block, and make them `current_caller()` inside it."""
        caller = self.caller_for(headers)
        for account in caller.accounts.values():
            account.leases += 1
        token = _leased.set(caller)
        try:
            yield caller
        finally:
            _leased.reset(token)
            for account in caller.accounts.values():
                account.leases -= 1
            self._close_idle()

    def caller_for(self, headers: Mapping[str, str] | None) -> Caller:
        """The open accounts of a request, opened if need be; raises `InvalidRequestError` for an unusable key."""
        keys = api_keys_from(headers, self._settings.api_keys)
        accounts = {api: self._account(api, key) for api, key in keys.items()}
        for account in accounts.values():
            self._close_idle(keep=account)
        brought_keys = any(header in (headers or {}) for header in (API_KEY_HEADER, AGENTS_KEY_HEADER))
        return Caller(accounts, self._routes, () if brought_keys else self._settings.input_folders)

    def _account(self, api: Api, key: str) -> Account:
        name = account_of(api, key)
        account = self._open.pop(name, None) or self._open_account(name, api, key)
        self._open[name] = account
        return account

    def _open_account(self, name: str, api: Api, api_key: str) -> Account:
        timing = self._settings.timing
        memory = self._memories.pop(name, None) or AccountMemory()
        backend: LumaBackend
        if api == "agents":
            backend = AgentsClient(api_key=api_key, base_url=self._settings.agents_base_url, timing=timing)
        else:
            backend = DreamMachineClient(
                api_key=api_key, base_url=self._settings.base_url, timing=timing, handed_out=memory.handed_out
            )
        return Account(
            name,
            backend,
            memory,
            self._task_group,
            schedule=self._schedule,
            limits=self._limits[api],
            create_reserve=timing.create_queue_reserve,
            on_change=self._changed,
            ledger=self._ledger,
            image_limits=self._photon_limits if api == "dream-machine" else None,
            max_spend_usd=self._settings.max_spend_usd,
        )

    def _changed(self, account: str, generation_id: str) -> None:
        """A generation an account started, or saw change: it belongs to that account."""
        self._routes.learn(account, generation_id)
        self._on_change(account, generation_id)

    def _close_idle(self, keep: Account | None = None) -> None:
        """Close the least recently used idle accounts past each cap; an account in use, or `keep` (just asked
        for), is never closed."""
        for accepted, cap in ((False, MAX_OPEN_UNPROVEN), (True, MAX_OPEN_ACCOUNTS)):
            group = [account for account in self._open.values() if account.key_accepted is accepted]
            idle = [account for account in group if not account.in_use and account is not keep]
            for account in idle[: max(0, len(group) - cap)]:
                self._close(account)

    def _close(self, account: Account) -> None:
        del self._open[account.name]
        self._task_group.start_soon(account.aclose)
        if account.key_accepted:
            self._memories[account.name] = account.memory
            while len(self._memories) > MAX_REMEMBERED_ACCOUNTS:
                self._memories.popitem(last=False)

    async def aclose(self) -> None:
        for account in self._open.values():
            await account.aclose()
        self._open.clear()


def _created(generation: Generation) -> datetime:
    """When Luma says it was made, for sorting: an unreadable time sorts oldest, one without a zone is taken as UTC."""
    created = generation.created
    if created is None:
        return datetime.min.replace(tzinfo=UTC)
    return created if created.tzinfo else created.replace(tzinfo=UTC)
