"""`Accounts`: one Luma account per API key, kept apart, never closed while in use, and not kept forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from luma_mcp import InvalidRequestError, Settings
from luma_mcp.account import Account
from luma_mcp.accounts import MAX_OPEN_ACCOUNTS, MAX_OPEN_UNPROVEN, Accounts, api_key_from
from luma_mcp.admission import CreateLimits
from luma_mcp.client import DreamMachineClient
from luma_mcp.emulator import EmulatorConfig, run_emulator
from luma_mcp.poller import PollSchedule

pytestmark = pytest.mark.anyio


def ignore(account: str, generation_id: str) -> None:
    pass


@asynccontextmanager
async def open_accounts(settings: Settings) -> AsyncIterator[Accounts]:
    async with anyio.create_task_group() as group:
        accounts = Accounts(settings, group, schedule=PollSchedule(), limits=CreateLimits(), on_change=ignore)
        try:
            yield accounts
        finally:
            await accounts.aclose()
            group.cancel_scope.cancel()


def client_of(account: Account) -> DreamMachineClient:
    assert isinstance(account.backend, DreamMachineClient)
    return account.backend


async def closed(account: Account) -> None:
    """Returns once the account's connection is closed (closing runs in the background)."""
    with anyio.fail_after(5):
        while not client_of(account).is_closed:
            await anyio.sleep(0.01)


def key(name: str) -> dict[str, str]:
    return {"x-luma-api-key": name}


async def test_each_key_gets_its_own_account_and_requests_without_one_use_the_servers() -> None:
    async with open_accounts(Settings(api_key="server-key")) as accounts:
        alice = accounts.for_headers(key("alice"))
        assert accounts.for_headers(key("alice")) is alice
        assert accounts.for_headers(key("bob")) is not alice
        assert accounts.for_headers(None) is accounts.for_headers(key("server-key"))
        assert "alice" not in alice.name, "accounts are named by digest, never by key"


@pytest.mark.parametrize(
    ("header", "says"), [("", "is empty"), ("   ", "is empty"), ("lüma-key", "printable ASCII"), ("a\x01b", "ASCII")]
)
def test_an_empty_or_non_ascii_key_header_is_refused_not_replaced_by_the_servers(header: str, says: str) -> None:
    with pytest.raises(InvalidRequestError, match=says):
        api_key_from(key(header), "server-key")
    assert api_key_from(None, "server-key") == "server-key"
    assert api_key_from({}, "server-key") == "server-key"


async def test_a_leased_account_is_never_closed_however_many_keys_arrive() -> None:
    async with open_accounts(Settings()) as accounts:
        async with accounts.lease(key("in-flight")) as leased:
            for number in range(MAX_OPEN_UNPROVEN + MAX_OPEN_ACCOUNTS + 5):
                accounts.for_headers(key(f"made-up-{number}"))
            assert accounts.for_headers(key("in-flight")) is leased
            assert not client_of(leased).is_closed
        for number in range(MAX_OPEN_UNPROVEN):
            accounts.for_headers(key(f"later-{number}"))
        await closed(leased)
        assert accounts.for_headers(key("in-flight")) is not leased, "once released, it may be closed"


async def test_made_up_keys_only_push_out_other_made_up_keys_and_memory_survives_closing() -> None:
    config = EmulatorConfig(api_keys=("luma-real-user",))
    async with run_emulator(config) as emulator, open_accounts(Settings(base_url=emulator.base_url)) as accounts:
        real = accounts.for_headers(key("luma-real-user"))
        await real.backend.list_concepts()  # Luma accepts the key
        assert real.backend.key_accepted
        for number in range(MAX_OPEN_UNPROVEN * 4):
            accounts.for_headers(key(f"made-up-{number}"))
        assert accounts.for_headers(key("luma-real-user")) is real

        # Past the cap of accepted accounts, the real user's idle connection is closed; what it must remember
        # (the create rate window, the ids already handed out) comes back with the account.
        memory = real.memory
        others = []
        for number in range(MAX_OPEN_ACCOUNTS):
            other = accounts.for_headers(key(f"accepted-{number}"))
            other.backend.key_accepted = True  # as if Luma had accepted it
            others.append(other)
        accounts.for_headers(key("accepted-last"))
        reopened = accounts.for_headers(key("luma-real-user"))
        await closed(real)
        assert reopened is not real
        assert reopened.memory is memory


async def test_a_closed_account_stops_its_poller_and_an_unproven_key_is_forgotten() -> None:
    async with open_accounts(Settings()) as accounts:
        first = accounts.for_headers(key("made-up-first"))
        await anyio.wait_all_tasks_blocked()
        running = len(anyio.get_running_tasks())
        for number in range(MAX_OPEN_UNPROVEN * 3):
            accounts.for_headers(key(f"made-up-{number}"))
        await closed(first)
        await anyio.wait_all_tasks_blocked()
        assert len(anyio.get_running_tasks()) == running - 1 + MAX_OPEN_UNPROVEN, "one poller per open account"
        assert accounts.for_headers(key("made-up-first")).memory is not first.memory, "Luma never accepted it"
