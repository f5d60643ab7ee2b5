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

from anyio.abc import TaskGroup

from .account import Account, AccountMemory, Changed
from .admission import CreateLimits
from .client import DreamMachineClient
from .errors.wording import empty_key_header, unusable_key_header
from .poller import PollSchedule
from .settings import Settings

API_KEY_HEADER = "x-luma-api-key"
MAX_OPEN_ACCOUNTS = 64
"""Open connections to Luma for keys it has accepted; past this, the least recently used idle one is closed."""
MAX_OPEN_UNPROVEN = 16
"""Open connections for keys Luma has not accepted (yet); made-up keys only ever compete with each other here."""
MAX_REMEMBERED_ACCOUNTS = 1024
"""Accepted keys whose rate window and handed-out ids are kept after their connection closed."""

# The account a tool call or resource read acts for, set by `Accounts.lease` for the length of the call.
_leased: ContextVar[Account | None] = ContextVar("luma_mcp_leased_account", default=None)


def api_key_from(headers: Mapping[str, str] | None, fallback: str | None) -> str | None:
    """The key a request acts with: its own `X-Luma-Api-Key` header (HTTP), else the server's LUMA_API_KEY.

    A header that is present but empty, or not printable ASCII, is refused: quietly acting for the operator's
    account instead would spend someone else's credits."""
    raw = None if headers is None else headers.get(API_KEY_HEADER)
    if raw is None:
        return fallback
    key = raw.strip()
    if not key:
        raise empty_key_header()
    if not (key.isascii() and key.isprintable()):
        raise unusable_key_header()
    return key


def account_of(api_key: str | None) -> str:
    """A stable name for an account that is not its key: the key's SHA-256, so no registry holds a second copy."""
    return hashlib.sha256((api_key or "").encode()).hexdigest()


def current_account() -> Account:
    """The account of the tool call or resource read in progress (see `Accounts.lease`)."""
    account = _leased.get()
    if account is None:
        raise RuntimeError("No Luma account is leased: call this inside Accounts.lease()")
    return account


class Accounts:
    def __init__(
        self,
        settings: Settings,
        task_group: TaskGroup,
        *,
        schedule: PollSchedule,
        limits: CreateLimits,
        on_change: Changed,
    ) -> None:
        self._settings = settings
        self._task_group = task_group
        self._schedule = schedule
        self._limits = limits
        self._on_change = on_change
        self._open: OrderedDict[str, Account] = OrderedDict()  # least recently used first
        self._memories: OrderedDict[str, AccountMemory] = OrderedDict()

    @asynccontextmanager
    async def lease(self, headers: Mapping[str, str] | None) -> AsyncIterator[Account]:
        """Hold the request's account open for the whole block, and make it `current_account()` inside it."""
        account = self.for_headers(headers)
        account.leases += 1
        token = _leased.set(account)
        try:
            yield account
        finally:
            _leased.reset(token)
            account.leases -= 1
            self._close_idle()

    def for_headers(self, headers: Mapping[str, str] | None) -> Account:
        """The open account of a request, opened if need be; raises `InvalidRequestError` for an unusable key."""
        key = api_key_from(headers, self._settings.api_key)
        name = account_of(key)
        account = self._open.pop(name, None) or self._open_account(name, key)
        self._open[name] = account
        self._close_idle(keep=account)
        return account

    def _open_account(self, name: str, api_key: str | None) -> Account:
        timing = self._settings.timing
        memory = self._memories.pop(name, None) or AccountMemory()
        backend = DreamMachineClient(
            api_key=api_key, base_url=self._settings.base_url, timing=timing, handed_out=memory.handed_out
        )
        return Account(
            name,
            backend,
            memory,
            self._task_group,
            schedule=self._schedule,
            limits=self._limits,
            create_reserve=timing.create_queue_reserve,
            on_change=self._on_change,
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
