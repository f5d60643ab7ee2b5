"""`Ledger`: what this server started, on disk, per account, private to its owner."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from luma_mcp.ledger import Ledger, LedgerEntry, UnknownCreate

pytestmark = pytest.mark.anyio

ALICE, BOB = "a" * 64, "b" * 64


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = Ledger.open(tmp_path / "state" / "ledger.sqlite3")
    try:
        yield opened
    finally:
        opened.close()


def entry(number: int, api: str = "agents", **fields: object) -> LedgerEntry:
    values: dict[str, object] = {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "api": api,
        "kind": "video",
        "request": {"prompt": f"shot {number}"},
        "created_at": f"2026-12-06T00:00:{number:02d}.000+00:00",
    }
    values.update(fields)
    return LedgerEntry(**values)  # type: ignore[arg-type]


def test_the_file_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    Ledger.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


async def test_a_generation_is_kept_with_what_luma_said_of_it(ledger: Ledger) -> None:
    await ledger.started(ALICE, entry(1, model="ray-3.2", estimated_cost_usd=0.3))
    output = {"type": "video", "url": "https://example.com/v.mp4"}
    await ledger.seen(ALICE, entry(1).id, state="completed", outputs=[output])
    await ledger.downloaded(ALICE, entry(1).id, ["/videos/a.mp4"])
    await ledger.downloaded(ALICE, entry(1).id, ["/videos/a.mp4", "/videos/a.jpg"])
    kept = await ledger.get(ALICE, entry(1).id)
    assert kept is not None and kept.is_terminal
    assert (kept.state, kept.outputs, kept.files) == ("completed", [output], ["/videos/a.mp4", "/videos/a.jpg"])
    assert (kept.model, kept.estimated_cost_usd, kept.request) == ("ray-3.2", 0.3, {"prompt": "shot 1"})


async def test_accounts_never_see_each_others_generations(ledger: Ledger) -> None:
    await ledger.started(ALICE, entry(1))
    assert await ledger.get(BOB, entry(1).id) is None
    assert await ledger.recent(BOB) == []
    assert not await ledger.forget(BOB, entry(1).id)
    await ledger.seen(BOB, entry(1).id, state="failed")
    assert (await ledger.recent(ALICE))[0].state == "queued"


async def test_recent_is_newest_first_paged_and_filtered_by_api(ledger: Ledger) -> None:
    for number in range(1, 6):
        await ledger.started(ALICE, entry(number, api="agents" if number % 2 else "dream-machine"))
    assert [e.id[-1] for e in await ledger.recent(ALICE, limit=3)] == ["5", "4", "3"]
    assert [e.id[-1] for e in await ledger.recent(ALICE, limit=3, offset=3)] == ["2", "1"]
    assert [e.id[-1] for e in await ledger.recent(ALICE, api="agents")] == ["5", "3", "1"]


async def test_a_generation_is_found_again_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger.open(path)
    await first.started(ALICE, entry(1))
    await first.seen(ALICE, entry(1).id, state="completed")
    first.close()
    again = Ledger.open(path)
    try:
        found = await again.get(ALICE, entry(1).id)
    finally:
        again.close()
    assert found is not None and found.state == "completed"


async def test_forgetting_removes_only_that_generation(ledger: Ledger) -> None:
    await ledger.started(ALICE, entry(1))
    await ledger.started(ALICE, entry(2))
    assert await ledger.forget(ALICE, entry(1).id)
    assert not await ledger.forget(ALICE, entry(1).id)
    assert [e.id for e in await ledger.recent(ALICE)] == [entry(2).id]


async def test_a_create_with_an_unknown_outcome_is_kept_apart(ledger: Ledger) -> None:
    lost = UnknownCreate(api="agents", kind="video", request={"prompt": "x"}, reason="the answer was lost")
    await ledger.outcome_unknown(ALICE, lost)
    assert await ledger.unknown_creates(ALICE) == [lost]
    assert await ledger.unknown_creates(BOB) == []
    assert await ledger.recent(ALICE) == []


async def test_the_unfinished_generations_are_those_of_the_last_day_newest_first_within_a_limit(
    ledger: Ledger,
) -> None:
    """What a restarted server follows again: never a finished generation, another account's, or one made before
    `made_since`, and no more than `limit`."""
    await ledger.started(ALICE, entry(1, created_at="2026-12-04T23:59:59.000+00:00"))
    for number in (2, 3, 4, 5, 6):
        await ledger.started(ALICE, entry(number))
    await ledger.seen(ALICE, entry(2).id, state="dreaming")
    await ledger.seen(ALICE, entry(3).id, state="completed")
    await ledger.seen(ALICE, entry(4).id, state="failed")
    await ledger.started(BOB, entry(7))
    made_since = datetime(2026, 12, 5, tzinfo=UTC)
    unfinished = await ledger.unfinished(ALICE, made_since=made_since, limit=10)
    assert [(kept.id, kept.state) for kept in unfinished] == [
        (entry(6).id, "queued"),
        (entry(5).id, "queued"),
        (entry(2).id, "dreaming"),
    ]
    assert [kept.id for kept in await ledger.unfinished(ALICE, made_since=made_since, limit=2)] == [
        entry(6).id,
        entry(5).id,
    ]


VERSION_1_GENERATIONS = """
CREATE TABLE generations (
    account TEXT NOT NULL, id TEXT NOT NULL, api TEXT NOT NULL, kind TEXT NOT NULL, model TEXT, request TEXT NOT NULL,
    state TEXT NOT NULL, outputs TEXT NOT NULL DEFAULT '[]', failure_reason TEXT, failure_code TEXT,
    estimated_cost_usd REAL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, files TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (account, id)
);
CREATE TABLE forgotten (
    account TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, estimated_cost_usd REAL, created_at TEXT NOT NULL
);
PRAGMA user_version=1;
"""


async def test_a_ledger_of_the_first_version_is_brought_up_to_date_and_keeps_counting(tmp_path: Path) -> None:
    """A ledger written before counts were kept: its rows count at their estimates, and new rows keep their counts."""
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_1_GENERATIONS)
        now = datetime.now(UTC).isoformat()
        db.execute(
            "INSERT INTO generations VALUES ('a', 'old', 'dream-machine', 'video', 'ray-2', '{}', 'completed', '[]', "
            "NULL, NULL, 1.02, ?, ?, '[]')",
            (now, now),
        )
    ledger = Ledger.open(path)
    try:
        await ledger.started("a", entry(1, api="dream-machine", estimated_cost_usd=1.75, counted_usd=41.33))
        await ledger.forget("a", "old")
        spending = await ledger.spending("a", since=datetime(2000, 1, 1, tzinfo=UTC))
    finally:
        ledger.close()
    assert (spending.usd, spending.counted_usd, spending.uncounted) == (2.77, 42.35, 0)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
