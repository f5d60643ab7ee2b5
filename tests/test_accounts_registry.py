"""`Accounts`: one Luma account per API key, kept apart, never closed while in use, and not kept forever."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest

from luma_mcp import ConfigurationError, InvalidRequestError, Settings
from luma_mcp.account import Account
from luma_mcp.accounts import MAX_OPEN_ACCOUNTS, MAX_OPEN_UNPROVEN, Accounts, api_keys_from
from luma_mcp.admission import CreateLimits
from luma_mcp.agents_client import AgentsClient
from luma_mcp.client import DreamMachineClient
from luma_mcp.emulator import EmulatorConfig, run_emulator
from luma_mcp.poller import PollSchedule
from luma_mcp.settings import Api

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


def dream_machine(accounts: Accounts, headers: dict[str, str] | None) -> Account:
    """The request's Dream Machine account (every key in these tests is a Dream Machine key)."""
    return accounts.caller_for(headers).account_for("dream-machine")


async def test_each_key_gets_its_own_account_and_requests_without_one_use_the_servers() -> None:
    async with open_accounts(Settings(api_key="server-key")) as accounts:
        alice = dream_machine(accounts, key("alice"))
        assert dream_machine(accounts, key("alice")) is alice
        assert dream_machine(accounts, key("bob")) is not alice
        assert dream_machine(accounts, None) is dream_machine(accounts, key("server-key"))
        assert "alice" not in alice.name, "accounts are named by digest, never by key"


@pytest.mark.parametrize(
    ("header", "says"), [("", "is empty"), ("   ", "is empty"), ("lüma-key", "printable ASCII"), ("a\x01b", "ASCII")]
)
def test_an_empty_or_non_ascii_key_header_is_refused_not_replaced_by_the_servers(header: str, says: str) -> None:
    own: dict[Api, str] = {"dream-machine": "server-key"}
    for name in ("x-luma-api-key", "x-luma-agents-api-key"):
        with pytest.raises(InvalidRequestError, match=says):
            api_keys_from({name: header}, own)
    assert api_keys_from(None, own) == own
    assert api_keys_from({}, own) == own


def test_a_key_header_names_its_api_by_prefix_and_a_request_with_keys_uses_none_of_the_servers() -> None:
    own: dict[Api, str] = {"dream-machine": "server-key", "agents": "luma-api-server"}
    assert api_keys_from(key("luma-dm-mine"), own) == {"dream-machine": "luma-dm-mine"}
    assert api_keys_from(key("luma-api-mine"), own) == {"agents": "luma-api-mine"}
    both = {"x-luma-api-key": "luma-dm-mine", "x-luma-agents-api-key": "luma-api-mine"}
    assert api_keys_from(both, own) == {"dream-machine": "luma-dm-mine", "agents": "luma-api-mine"}


async def test_each_api_gets_its_own_backend_and_a_missing_key_is_named() -> None:
    settings = Settings(agents_api_key="luma-api-server")
    async with open_accounts(settings) as accounts:
        caller = accounts.caller_for(None)
        assert isinstance(caller.account_for("agents").backend, AgentsClient)
        with pytest.raises(ConfigurationError, match="Dream Machine API key.*is an Agents API key"):
            caller.account_for("dream-machine")
        both = accounts.caller_for({"x-luma-api-key": "luma-dm", "x-luma-agents-api-key": "luma-api-x"})
        assert isinstance(both.account_for("dream-machine").backend, DreamMachineClient)
        assert both.account_for("agents") is not caller.account_for("agents")
    async with open_accounts(Settings()) as accounts:
        with pytest.raises(ConfigurationError, match="LUMA_AGENTS_API_KEY"):
            accounts.caller_for(None).account_for("agents")


async def test_a_leased_account_is_never_closed_however_many_keys_arrive() -> None:
    async with open_accounts(Settings()) as accounts:
        async with accounts.lease(key("in-flight")) as caller:
            leased = caller.account_for("dream-machine")
            for number in range(MAX_OPEN_UNPROVEN + MAX_OPEN_ACCOUNTS + 5):
                dream_machine(accounts, key(f"made-up-{number}"))
            assert dream_machine(accounts, key("in-flight")) is leased
            assert not client_of(leased).is_closed
        for number in range(MAX_OPEN_UNPROVEN):
            dream_machine(accounts, key(f"later-{number}"))
        await closed(leased)
        assert dream_machine(accounts, key("in-flight")) is not leased, "once released, it may be closed"


async def test_made_up_keys_only_push_out_other_made_up_keys_and_memory_survives_closing() -> None:
    accepted = [f"accepted-{number}" for number in range(MAX_OPEN_ACCOUNTS)]
    config = EmulatorConfig(api_keys=("luma-real-user", *accepted))
    async with run_emulator(config) as emulator, open_accounts(Settings(base_url=emulator.base_url)) as accounts:
        real = dream_machine(accounts, key("luma-real-user"))
        await real.backend.list_concepts()  # Luma accepts the key
        assert real.backend.key_accepted
        for number in range(MAX_OPEN_UNPROVEN * 4):
            dream_machine(accounts, key(f"made-up-{number}"))
        assert dream_machine(accounts, key("luma-real-user")) is real

        # Past the cap of accepted accounts, the real user's idle connection is closed; what it must remember
        # (the create rate window, the ids already handed out) comes back with the account.
        memory = real.memory
        others = []
        for name in accepted:
            other = dream_machine(accounts, key(name))
            await other.backend.list_concepts()
            others.append(other)
        dream_machine(accounts, key("accepted-last"))
        reopened = dream_machine(accounts, key("luma-real-user"))
        await closed(real)
        assert reopened is not real
        assert reopened.memory is memory


async def test_a_closed_account_stops_its_poller_and_an_unproven_key_is_forgotten() -> None:
    async with open_accounts(Settings()) as accounts:
        first = dream_machine(accounts, key("made-up-first"))
        await anyio.wait_all_tasks_blocked()
        running = len(anyio.get_running_tasks())
        for number in range(MAX_OPEN_UNPROVEN * 3):
            dream_machine(accounts, key(f"made-up-{number}"))
        await closed(first)
        await anyio.wait_all_tasks_blocked()
        assert len(anyio.get_running_tasks()) == running - 1 + MAX_OPEN_UNPROVEN, "one poller per open account"
        assert dream_machine(accounts, key("made-up-first")).memory is not first.memory, "Luma never accepted it"
