"""`Tenants`: one Luma account per API key, kept apart, and not kept forever."""

from __future__ import annotations

import anyio
import pytest

from luma_mcp import Settings
from luma_mcp.admission import CreateLimits
from luma_mcp.poller import PollSchedule
from luma_mcp.tenants import MAX_OPEN_TENANTS, Tenants

pytestmark = pytest.mark.anyio


async def ignore(_: object) -> None:
    pass


async def test_each_key_gets_its_own_tenant_and_requests_without_one_use_the_servers() -> None:
    async with anyio.create_task_group() as group:
        tenants = Tenants(
            Settings(api_key="server-key"), group, schedule=PollSchedule(), limits=CreateLimits(), on_change=ignore
        )
        alice = tenants.for_headers({"x-luma-api-key": "alice"})
        assert tenants.for_headers({"x-luma-api-key": "alice"}) is alice
        assert tenants.for_headers({"x-luma-api-key": "bob"}) is not alice
        assert tenants.for_headers(None) is tenants.for_headers({"x-luma-api-key": "server-key"})
        await tenants.aclose()
        group.cancel_scope.cancel()


async def test_idle_tenants_beyond_the_cap_are_closed_and_reopened_on_demand() -> None:
    async with anyio.create_task_group() as group:
        tenants = Tenants(Settings(), group, schedule=PollSchedule(), limits=CreateLimits(), on_change=ignore)
        first = tenants.for_headers({"x-luma-api-key": "key-0"})
        for number in range(1, MAX_OPEN_TENANTS + 5):
            tenants.for_headers({"x-luma-api-key": f"key-{number}"})
        await anyio.sleep(0.05)
        again = tenants.for_headers({"x-luma-api-key": "key-0"})
        assert again is not first, "the oldest idle tenant was closed"
        latest = tenants.for_headers({"x-luma-api-key": f"key-{MAX_OPEN_TENANTS + 4}"})
        assert tenants.for_headers({"x-luma-api-key": f"key-{MAX_OPEN_TENANTS + 4}"}) is latest
        await tenants.aclose()
        group.cancel_scope.cancel()
