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
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


@dataclass(frozen=True)
class Caller:
    """The accounts one request acts for: one per Luma API it has a key for."""

    accounts: Mapping[Api, Account]
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

    async def made_by(self, generation_id: str) -> Account | None:
        """The account that made a generation, as far as this server knows (its ledger, or its poller)."""
        for account in self.accounts.values():
            if await account.made(generation_id):
                return account
        return None

    async def account_that_made(self, generation_id: str) -> Account:
        """The account a generation belongs to: the one that made it, as far as this server knows; else the one
        whose API finds it (see `find`)."""
        if len(self.accounts) == 1:
            return next(iter(self.accounts.values()))  # one API: nothing to decide, and no ledger read
        return await self.made_by(generation_id) or (await self.find(generation_id))[0]

    async def find(self, generation_id: str, *, about_to_wait: bool = False) -> tuple[Account, Generation]:
        """The generation and the account it belongs to. One this server does not know (made elsewhere, or with
        the ledger off) is looked up on each API in turn, Dream Machine first: Luma answers "not found" for
        another API's id."""
        if not self.accounts:
            self.account_for(DEFAULT_API)  # raises: no key at all
        known = await self.made_by(generation_id) if len(self.accounts) > 1 else None
        first = known or self.accounts.get("dream-machine") or next(iter(self.accounts.values()))
        missing: NotFoundError | None = None
        for account in [first, *(other for other in self.accounts.values() if other is not first)]:
            try:
                return account, await account.look(generation_id, about_to_wait=about_to_wait)
            except NotFoundError as error:
                if await account.made(generation_id):
                    raise  # made here and gone: deleted
                missing = error
        assert missing is not None, "a caller has at least one account"
        raise missing


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
        self._on_change = on_change
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
        return Caller(accounts, () if brought_keys else self._settings.input_folders)

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
            on_change=self._on_change,
            ledger=self._ledger,
        )

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
