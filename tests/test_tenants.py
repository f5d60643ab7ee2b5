"""`Tenants`: one Luma account per API key, kept apart, never closed while in use, and not kept forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from luma_mcp import InvalidRequestError, Settings
from luma_mcp.admission import CreateLimits
from luma_mcp.emulator import EmulatorConfig, run_emulator
from luma_mcp.models import Generation
from luma_mcp.poller import PollSchedule
from luma_mcp.tenants import MAX_OPEN_ACCOUNTS, MAX_OPEN_UNPROVEN, Tenant, Tenants, api_key_from

pytestmark = pytest.mark.anyio


async def ignore(account: str, generation: Generation) -> None:
    pass


@asynccontextmanager
async def open_tenants(settings: Settings) -> AsyncIterator[Tenants]:
    async with anyio.create_task_group() as group:
        tenants = Tenants(settings, group, schedule=PollSchedule(), limits=CreateLimits(), on_change=ignore)
        try:
            yield tenants
        finally:
            await tenants.aclose()
            group.cancel_scope.cancel()


async def closed(tenant: Tenant) -> None:
    """Returns once the tenant's connection is closed (closing runs in the background)."""
    with anyio.fail_after(5):
        while not tenant.client.is_closed:
            await anyio.sleep(0.01)


def key(name: str) -> dict[str, str]:
    return {"x-luma-api-key": name}


async def test_each_key_gets_its_own_tenant_and_requests_without_one_use_the_servers() -> None:
    async with open_tenants(Settings(api_key="server-key")) as tenants:
        alice = tenants.for_headers(key("alice"))
        assert tenants.for_headers(key("alice")) is alice
        assert tenants.for_headers(key("bob")) is not alice
        assert tenants.for_headers(None) is tenants.for_headers(key("server-key"))
        assert "alice" not in alice.account, "accounts are named by digest, never by key"


@pytest.mark.parametrize(
    ("header", "says"), [("", "is empty"), ("   ", "is empty"), ("lüma-key", "printable ASCII"), ("a\x01b", "ASCII")]
)
def test_an_empty_or_non_ascii_key_header_is_refused_not_replaced_by_the_servers(header: str, says: str) -> None:
    with pytest.raises(InvalidRequestError, match=says):
        api_key_from(key(header), "server-key")
    assert api_key_from(None, "server-key") == "server-key"
    assert api_key_from({}, "server-key") == "server-key"


async def test_a_leased_tenant_is_never_closed_however_many_keys_arrive() -> None:
    async with open_tenants(Settings()) as tenants:
        async with tenants.lease(key("in-flight")) as leased:
            for number in range(MAX_OPEN_UNPROVEN + MAX_OPEN_ACCOUNTS + 5):
                tenants.for_headers(key(f"made-up-{number}"))
            assert tenants.for_headers(key("in-flight")) is leased
            assert not leased.client.is_closed
        for number in range(MAX_OPEN_UNPROVEN):
            tenants.for_headers(key(f"later-{number}"))
        await closed(leased)
        assert tenants.for_headers(key("in-flight")) is not leased, "once released, it may be closed"


async def test_made_up_keys_only_push_out_other_made_up_keys_and_memory_survives_closing() -> None:
    config = EmulatorConfig(api_keys=("luma-real-user",))
    async with run_emulator(config) as emulator, open_tenants(Settings(base_url=emulator.base_url)) as tenants:
        real = tenants.for_headers(key("luma-real-user"))
        await real.client.list_concepts()  # Luma accepts the key
        assert real.client.key_accepted
        for number in range(MAX_OPEN_UNPROVEN * 4):
            tenants.for_headers(key(f"made-up-{number}"))
        assert tenants.for_headers(key("luma-real-user")) is real

        # Past the cap of accepted accounts, the real user's idle connection is closed; what it must remember
        # (the create rate window, the ids already handed out) comes back with the account.
        memory = real.memory
        others = []
        for number in range(MAX_OPEN_ACCOUNTS):
            other = tenants.for_headers(key(f"accepted-{number}"))
            other.client.key_accepted = True  # as if Luma had accepted it
            others.append(other)
        tenants.for_headers(key("accepted-last"))
        reopened = tenants.for_headers(key("luma-real-user"))
        await closed(real)
        assert reopened is not real
        assert reopened.memory is memory
