"""`Tenants`: one Luma account's client, poller and create queue per API key the server is asked to use.

Over stdio there is one user and one key, from LUMA_API_KEY. Over HTTP one server may serve several people,
each passing their own key in the `X-Luma-Api-Key` header; their generations, polls and rate limits never mix.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from anyio.abc import TaskGroup

from .admission import CreateLimits, CreateQueue
from .client import LumaClient
from .models import Generation
from .poller import OnChange, Poller, PollSchedule
from .settings import Settings

API_KEY_HEADER = "x-luma-api-key"
# Past this many accounts, the least recently used one with nothing in flight is closed (and reopened on demand).
MAX_OPEN_TENANTS = 64


@dataclass(frozen=True)
class Tenant:
    client: LumaClient
    poller: Poller
    creates: CreateQueue


class Tenants:
    def __init__(
        self,
        settings: Settings,
        task_group: TaskGroup,
        *,
        schedule: PollSchedule,
        limits: CreateLimits,
        on_change: OnChange,
    ) -> None:
        self._settings = settings
        self._task_group = task_group
        self._schedule = schedule
        self._limits = limits
        self._on_change = on_change
        # Keyed by a digest, so the registry never holds a second copy of anyone's key; oldest use first.
        self._open: OrderedDict[str, Tenant] = OrderedDict()

    def for_headers(self, headers: Mapping[str, str] | None) -> Tenant:
        """The tenant of a request: its own key from the header (HTTP), else the server's LUMA_API_KEY."""
        key = (headers or {}).get(API_KEY_HEADER, "").strip() or self._settings.api_key
        digest = hashlib.sha256((key or "").encode()).hexdigest()
        tenant = self._open.pop(digest, None) or self._open_tenant(key)
        self._open[digest] = tenant
        self._close_idle()
        return tenant

    def _close_idle(self) -> None:
        while len(self._open) > MAX_OPEN_TENANTS:
            candidates = list(self._open.items())[:-1]  # never the tenant just asked for
            idle = next((digest for digest, tenant in candidates if not tenant.poller.watching), None)
            if idle is None:
                return
            tenant = self._open.pop(idle)
            tenant.poller.stop()
            self._task_group.start_soon(tenant.client.aclose)

    def _open_tenant(self, api_key: str | None) -> Tenant:
        client = LumaClient(api_key=api_key, base_url=self._settings.base_url)

        # Polls are not retried: the poller looks again next tick anyway, and retrying would hold up the round.
        async def one(generation_id: str) -> Generation:
            return await client.get_generation(generation_id, poll=True)

        async def newest(limit: int) -> list[Generation]:
            return (await client.list_generations(limit=limit, poll=True)).generations

        poller = Poller(one, newest, schedule=self._schedule, on_change=self._on_change)
        poller.start(self._task_group)
        return Tenant(client, poller, CreateQueue(self._limits))

    async def aclose(self) -> None:
        for tenant in self._open.values():
            await tenant.client.aclose()
        self._open.clear()
