"""`Tenants`: the Luma accounts one server acts for, one per API key, each with its own client, poller and limits.

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
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from anyio.abc import TaskGroup

from .admission import CreateLedger, CreateLimits, CreateQueue
from .client import HANDED_OUT_MEMORY, LumaClient
from .errors.wording import empty_key_header, unusable_key_header
from .models import Generation
from .poller import Poller, PollSchedule
from .settings import Settings

API_KEY_HEADER = "x-luma-api-key"
MAX_OPEN_ACCOUNTS = 64
"""Open connections to Luma for keys it has accepted; past this, the least recently used idle one is closed."""
MAX_OPEN_UNPROVEN = 16
"""Open connections for keys Luma has not accepted (yet); made-up keys only ever compete with each other here."""
MAX_REMEMBERED_ACCOUNTS = 1024
"""Accepted keys whose rate window and handed-out ids are kept after their connection closed."""

# The account a tool call or resource read acts for, set by `Tenants.lease` for the length of the call.
_leased: ContextVar[Tenant | None] = ContextVar("luma_mcp_leased_tenant", default=None)

AccountChanged = Callable[[str, Generation], Awaitable[None]]
"""Told `(account, generation)` whenever the poller sees one of that account's generations change."""


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


@dataclass(eq=False)
class AccountMemory:
    """What an account must not forget when its connection is closed and opened again."""

    creates: CreateLedger = field(default_factory=CreateLedger)
    handed_out: deque[str] = field(default_factory=lambda: deque(maxlen=HANDED_OUT_MEMORY))


@dataclass(eq=False)
class Tenant:
    account: str
    client: LumaClient
    poller: Poller
    memory: AccountMemory
    creates: CreateQueue
    leases: int = 0

    @property
    def in_use(self) -> bool:
        return self.leases > 0 or bool(self.poller.watching)


def leased_tenant() -> Tenant:
    """The account of the tool call or resource read in progress (see `Tenants.lease`)."""
    tenant = _leased.get()
    if tenant is None:
        raise RuntimeError("No Luma account is leased: call this inside Tenants.lease()")
    return tenant


class Tenants:
    def __init__(
        self,
        settings: Settings,
        task_group: TaskGroup,
        *,
        schedule: PollSchedule,
        limits: CreateLimits,
        on_change: AccountChanged,
    ) -> None:
        self._settings = settings
        self._task_group = task_group
        self._schedule = schedule
        self._limits = limits
        self._on_change = on_change
        self._open: OrderedDict[str, Tenant] = OrderedDict()  # least recently used first
        self._memories: OrderedDict[str, AccountMemory] = OrderedDict()

    @asynccontextmanager
    async def lease(self, headers: Mapping[str, str] | None) -> AsyncIterator[Tenant]:
        """Hold the request's account open for the whole block, and make it `leased_tenant()` inside it."""
        tenant = self.for_headers(headers)
        tenant.leases += 1
        token = _leased.set(tenant)
        try:
            yield tenant
        finally:
            _leased.reset(token)
            tenant.leases -= 1
            self._close_idle()

    def for_headers(self, headers: Mapping[str, str] | None) -> Tenant:
        """The open account of a request, opened if need be; raises `InvalidRequestError` for an unusable key."""
        key = api_key_from(headers, self._settings.api_key)
        account = account_of(key)
        tenant = self._open.pop(account, None) or self._open_tenant(account, key)
        self._open[account] = tenant
        self._close_idle(keep=tenant)
        return tenant

    def _open_tenant(self, account: str, api_key: str | None) -> Tenant:
        timing = self._settings.timing
        memory = self._memories.pop(account, None) or AccountMemory()
        client = LumaClient(
            api_key=api_key, base_url=self._settings.base_url, timing=timing, handed_out=memory.handed_out
        )

        # Polls are not retried: the poller looks again next tick anyway, and retrying would hold up the round.
        async def one(generation_id: str) -> Generation:
            return await client.get_generation(generation_id, poll=True)

        async def page(limit: int, offset: int) -> list[Generation]:
            return (await client.list_generations(limit=limit, offset=offset, poll=True)).generations

        async def changed(generation: Generation) -> None:
            if generation.is_terminal:
                memory.creates.settle(generation.id)
            await self._on_change(account, generation)

        poller = Poller(one, page, schedule=self._schedule, on_change=changed)
        poller.start(self._task_group)
        creates = CreateQueue(self._limits, memory.creates, watch=poller.watch, reserve=timing.create_queue_reserve)
        return Tenant(account, client, poller, memory, creates)

    def _close_idle(self, keep: Tenant | None = None) -> None:
        """Close the least recently used idle accounts past each cap; an account in use, or `keep` (just asked
        for), is never closed."""
        for accepted, cap in ((False, MAX_OPEN_UNPROVEN), (True, MAX_OPEN_ACCOUNTS)):
            group = [tenant for tenant in self._open.values() if tenant.client.key_accepted is accepted]
            idle = [tenant for tenant in group if not tenant.in_use and tenant is not keep]
            for tenant in idle[: max(0, len(group) - cap)]:
                self._close(tenant)

    def _close(self, tenant: Tenant) -> None:
        del self._open[tenant.account]
        tenant.poller.stop()
        self._task_group.start_soon(tenant.client.aclose)
        if tenant.client.key_accepted:
            self._memories[tenant.account] = tenant.memory
            while len(self._memories) > MAX_REMEMBERED_ACCOUNTS:
                self._memories.popitem(last=False)

    async def aclose(self) -> None:
        for tenant in self._open.values():
            tenant.poller.stop()
            await tenant.client.aclose()
        self._open.clear()
