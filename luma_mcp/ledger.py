"""`Ledger`: what this server started, kept on disk (SQLite), per account.

An API without a list endpoint (the Agents API) cannot tell us later which generations we made, which API made a
given id, or what a day's creates cost. So every generation this server starts gets a row here, and so does every
create whose outcome is unknown (its answer was lost: it may have been charged, and cannot be looked up). Local
files uploaded to Luma are kept by content hash, so the same photo is uploaded once per account, restarts included.
Under a daily spending cap, a create is held against the day's spending before it is sent, in the same transaction
that judges the cap (see `hold`), so servers sharing this file cannot pass the cap together.

Accounts are kept apart by the digest of their key (see `luma_mcp.accounts`); no key is ever written. The file is
made readable by its owner only. SQLite is reached from a worker thread, one statement at a time, so a slow disk
never stalls the event loop.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
logger = logging.getLogger(__name__)

LEDGER_FILE = "ledger.sqlite3"
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    api TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '[]',
    failure_reason TEXT,
    failure_code TEXT,
    estimated_cost_usd REAL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    files TEXT NOT NULL DEFAULT '[]',
    counted_usd REAL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS generations_newest_first ON generations (account, created_at DESC, id);
CREATE TABLE IF NOT EXISTS unknown_creates (
    account TEXT NOT NULL,
    api TEXT NOT NULL,
    kind TEXT NOT NULL,
    model TEXT,
    request TEXT NOT NULL,
    estimated_cost_usd REAL,
    sent_at TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS forgotten (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    estimated_cost_usd REAL,
    created_at TEXT NOT NULL,
    counted_usd REAL
);
CREATE TABLE IF NOT EXISTS holds (
    account TEXT NOT NULL,
    hold TEXT NOT NULL PRIMARY KEY,
    counted_usd REAL NOT NULL,
    held_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    account TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_id TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    PRIMARY KEY (account, sha256)
);
"""
MIGRATIONS = {
    2: (  # what the spending cap counts a generation as, where that is more than its estimate (a modify of a URL)
        "ALTER TABLE generations ADD COLUMN counted_usd REAL",
        "ALTER TABLE forgotten ADD COLUMN counted_usd REAL",
    ),
}
"""Statements that bring a ledger of the version before each key up to it; `SCHEMA` makes a new one as it is."""
HOLDS_COUNT_FOR = timedelta(days=1)
"""A hold counts against every day's cap until it is this old, whatever day it was taken on: a create held just
before midnight UTC and sent after it lands in the new day, whose checks meanwhile must count it."""
TERMINAL_STATES = ("completed", "failed")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class LedgerEntry:
    """One generation this server started. `request` is the body sent to Luma; `outputs` what Luma made."""

    id: str
    api: str
    kind: str
    request: dict[str, Any]
    state: str = "queued"
    model: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    failure_reason: str | None = None
    failure_code: str | None = None
    estimated_cost_usd: float | None = None
    created_at: str = field(default_factory=_now)
    files: list[str] = field(default_factory=list)
    counted_usd: float | None = None
    """What the spending cap counts it as: its estimate, or more where the estimate cannot be sure (see
    `luma_mcp.spending.Price`); None in rows written before this was kept, which count at their estimate."""

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class Kept:
    """What the ledger knows of a generation and Luma does not say: where it was saved, and its estimate as made
    when it was created (a modify's, by its source's size, which Luma's echo of the request does not give)."""

    files: list[str] = field(default_factory=list)
    estimated_cost_usd: float | None = None


@dataclass(frozen=True)
class Spending:
    """What generations made here cost, by the estimates kept with them."""

    usd: float
    priced: int
    """Generations counted in `usd`."""
    unpriced: int
    """Generations whose price is not known, so not in `usd`."""
    counted_usd: float
    """What the spending cap counts the generations as, as kept with each (see `LedgerEntry.counted_usd`)."""
    uncounted: int
    """Generations with neither an estimate nor a count kept (written before counts were), so not in
    `counted_usd`."""
    outcome_unknown: int
    """Creates whose answer was lost: perhaps charged, not in `usd`."""
    held_usd: float = 0.0
    """Creates held against a spending cap and not yet written as a generation (being sent now, or whose row could
    not be written), at what the cap counts them."""


@dataclass(frozen=True)
class UnknownCreate:
    """A create that may have reached Luma and been charged, but whose generation cannot be found."""

    api: str
    kind: str
    request: dict[str, Any]
    reason: str
    model: str | None = None
    estimated_cost_usd: float | None = None
    sent_at: str = field(default_factory=_now)


@asynccontextmanager
async def opened_ledger(state_dir: Path | None) -> AsyncIterator[Ledger | None]:
    """The ledger in `state_dir` for the length of the block; None when there is no state folder (ledger off)."""
    if state_dir is None:
        yield None
        return
    try:
        ledger = Ledger.open(state_dir / LEDGER_FILE)
    except (OSError, sqlite3.Error) as exc:
        # The server still serves: Dream Machine needs no ledger, and Agents generations are then found while the
        # process runs (README, LUMA_MCP_LEDGER).
        logger.warning("No ledger: %s cannot be used (%s); set LUMA_MCP_STATE_DIR to a writable folder", state_dir, exc)
        yield None
        return
    try:
        yield ledger
    finally:
        ledger.close()


class Ledger:
    """Open with `Ledger.open(path)`; `close()` when done. Every method takes the account's name (key digest)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._one_at_a_time = anyio.CapacityLimiter(1)

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (or make) the ledger at `path`; its folder and file are made private to this user."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=1000")
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "generations" in tables:  # a ledger made by an earlier version: brought up to this one
            for newer in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(newer, ()):
                    connection.execute(statement)
        connection.executescript(SCHEMA)
        connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return cls(connection)

    def close(self) -> None:
        self._db.close()

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(work, self._db, limiter=self._one_at_a_time)

    async def started(self, account: str, entry: LedgerEntry, *, hold: str | None = None) -> None:
        """Keep a generation Luma took; the `hold` it was sent under (see `hold`) becomes its row, in one
        transaction, so the cap counts it once and keeps counting it if the row cannot be written."""
        row = (
            account,
            entry.id,
            entry.api,
            entry.kind,
            entry.model,
            json.dumps(entry.request),
            entry.state,
            json.dumps(entry.outputs),
            entry.failure_reason,
            entry.failure_code,
            entry.estimated_cost_usd,
            entry.created_at,
            _now(),
            json.dumps(entry.files),
            entry.counted_usd,
        )

        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.execute(
                    "INSERT OR REPLACE INTO generations (account, id, api, kind, model, request, state, outputs, "
                    "failure_reason, failure_code, estimated_cost_usd, created_at, updated_at, files, counted_usd) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    row,
                )
                db.execute("DELETE FROM holds WHERE account=? AND hold=?", (account, hold))

        await self._run(write)

    async def seen(
        self,
        account: str,
        generation_id: str,
        *,
        state: str,
        outputs: Sequence[dict[str, Any]] = (),
        failure_reason: str | None = None,
        failure_code: str | None = None,
    ) -> None:
        """Luma reported this state for one of our generations. Output URLs are kept for what they say, not to be
        handed out: presigned URLs expire, so results always carry fresh ones."""
        values = (state, json.dumps(list(outputs)), failure_reason, failure_code, _now(), account, generation_id)
        await self._run(
            lambda db: db.execute(
                "UPDATE generations SET state=?, outputs=?, failure_reason=?, failure_code=?, updated_at=? "
                "WHERE account=? AND id=?",
                values,
            )
        )

    async def downloaded(self, account: str, generation_id: str, paths: Sequence[str]) -> None:
        def add(db: sqlite3.Connection) -> None:
            found = db.execute("SELECT files FROM generations WHERE account=? AND id=?", (account, generation_id))
            row = found.fetchone()
            if row is not None:
                files = list(dict.fromkeys([*json.loads(row[0]), *paths]))
                db.execute(
                    "UPDATE generations SET files=? WHERE account=? AND id=?",
                    (json.dumps(files), account, generation_id),
                )

        await self._run(add)

    async def kept(self, account: str, generation_id: str) -> Kept:
        """What a result adds from the ledger to what Luma says of a generation: its two columns, read alone."""
        found = await self._run(
            lambda db: db.execute(
                "SELECT files, estimated_cost_usd FROM generations WHERE account=? AND id=?", (account, generation_id)
            ).fetchone()
        )
        return Kept(list(json.loads(found[0])), found[1]) if found else Kept()

    async def get(self, account: str, generation_id: str) -> LedgerEntry | None:
        rows = await self._select(
            f"SELECT {_COLUMNS} FROM generations WHERE account=? AND id=?", (account, generation_id)
        )
        return rows[0] if rows else None

    async def recent(
        self, account: str, *, api: str | None = None, limit: int = 10, offset: int = 0
    ) -> list[LedgerEntry]:
        """The account's generations, newest first; only one API's when `api` is given."""
        where, params = ("account=?", [account]) if api is None else ("account=? AND api=?", [account, api])
        return await self._select(
            f"SELECT {_COLUMNS} FROM generations WHERE {where} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )

    async def unfinished(self, account: str, *, made_since: datetime, limit: int) -> list[LedgerEntry]:
        """The account's generations last seen neither completed nor failed, made since `made_since`, newest first:
        those a restarted server takes up again."""
        terminal = ",".join("?" * len(TERMINAL_STATES))
        return await self._select(
            f"SELECT {_COLUMNS} FROM generations WHERE account=? AND state NOT IN ({terminal}) AND created_at >= ? "
            "ORDER BY created_at DESC, id LIMIT ?",
            (account, *TERMINAL_STATES, made_since.isoformat(timespec="milliseconds"), limit),
        )

    async def forget(self, account: str, generation_id: str) -> bool:
        """Remove a generation from the ledger (not from Luma); True if it was there."""

        def forget(db: sqlite3.Connection) -> bool:
            # What it cost stays counted (see `spending`): forgetting a generation does not unspend it.
            with _transaction(db):
                db.execute(
                    "INSERT INTO forgotten (account, id, state, estimated_cost_usd, created_at, counted_usd) SELECT "
                    "account, id, state, estimated_cost_usd, created_at, counted_usd FROM generations "
                    "WHERE account=? AND id=?",
                    (account, generation_id),
                )
                gone = db.execute("DELETE FROM generations WHERE account=? AND id=?", (account, generation_id))
            return gone.rowcount > 0

        return await self._run(forget)

    async def outcome_unknown(self, account: str, create: UnknownCreate, *, hold: str | None = None) -> None:
        """Keep a create whose answer was lost; like `started`, it takes the place of its `hold`."""
        row = (
            account,
            create.api,
            create.kind,
            create.model,
            json.dumps(create.request),
            create.estimated_cost_usd,
            create.sent_at,
            create.reason,
        )

        def write(db: sqlite3.Connection) -> None:
            with _transaction(db):
                db.execute("INSERT INTO unknown_creates VALUES (?,?,?,?,?,?,?,?)", row)
                db.execute("DELETE FROM holds WHERE account=? AND hold=?", (account, hold))

        await self._run(write)

    async def unknown_creates(self, account: str) -> list[UnknownCreate]:
        def read(db: sqlite3.Connection) -> list[UnknownCreate]:
            rows = db.execute(
                "SELECT api, kind, model, request, estimated_cost_usd, sent_at, reason FROM unknown_creates "
                "WHERE account=? ORDER BY sent_at",
                (account,),
            ).fetchall()
            return [
                UnknownCreate(
                    api=api,
                    kind=kind,
                    model=model,
                    request=json.loads(request),
                    estimated_cost_usd=cost,
                    sent_at=sent_at,
                    reason=reason,
                )
                for api, kind, model, request, cost, sent_at, reason in rows
            ]

        return await self._run(read)

    async def uploaded(self, account: str, sha256: str) -> str | None:
        """The id of the Luma file the account uploaded with this content (by SHA-256), if any."""
        rows = await self._run(
            lambda db: db.execute(
                "SELECT file_id FROM uploads WHERE account=? AND sha256=?", (account, sha256)
            ).fetchall()
        )
        return str(rows[0][0]) if rows else None

    async def upload_sent(self, account: str, sha256: str, file_id: str) -> None:
        """The account uploaded this content as `file_id` (the one to use from now on)."""
        row = (account, sha256, file_id, _now())
        await self._run(lambda db: db.execute("INSERT OR REPLACE INTO uploads VALUES (?,?,?,?)", row))

    async def spending(self, account: str, *, since: datetime) -> Spending:
        """What the account's generations made here since `since` cost by the estimates kept with them, forgotten
        ones too. A failed one is left out (both APIs refund a failed generation); one with no known price is counted
        apart, and so are the creates held against a cap (see `hold`)."""
        return await self._run(lambda db: _spending(db, account, since))

    async def hold(
        self, account: str, counted_usd: float, *, since: datetime, fits: Callable[[Spending], bool]
    ) -> tuple[str | None, Spending]:
        """Hold a create of `counted_usd` against the account's spending since `since`, if `fits` says that spending
        leaves room for it. Judged and held in one transaction, which every process sharing this file takes in
        turn, so creates from any of them cannot pass a cap together. Returns the hold (None if it did not fit)
        and the spending judged. A hold lasts until `started` or `outcome_unknown` takes its place, or `release`."""
        held = uuid.uuid4().hex

        def judge(db: sqlite3.Connection) -> tuple[str | None, Spending]:
            with _transaction(db):
                spending = _spending(db, account, since)
                if not fits(spending):
                    return None, spending
                db.execute("INSERT INTO holds VALUES (?,?,?,?)", (account, held, counted_usd, _now()))
            return held, spending

        return await self._run(judge)

    async def release(self, account: str, hold: str) -> None:
        """A held create that was never sent, or that Luma refused: it cost nothing."""
        await self._run(lambda db: db.execute("DELETE FROM holds WHERE account=? AND hold=?", (account, hold)))

    async def _select(self, sql: str, params: Sequence[Any]) -> list[LedgerEntry]:
        rows = await self._run(lambda db: db.execute(sql, params).fetchall())
        return [_entry(row) for row in rows]


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, begun at once (`IMMEDIATE`) so that what it reads is still true when it writes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _spending(db: sqlite3.Connection, account: str, since: datetime) -> Spending:
    after = since.isoformat(timespec="milliseconds")
    usd, priced, unpriced, counted, uncounted = db.execute(
        "SELECT COALESCE(SUM(estimated_cost_usd), 0), COUNT(estimated_cost_usd), "
        "COUNT(*) - COUNT(estimated_cost_usd), COALESCE(SUM(COALESCE(counted_usd, estimated_cost_usd)), 0), "
        "COUNT(*) - COUNT(COALESCE(counted_usd, estimated_cost_usd)) FROM ("
        "SELECT state, estimated_cost_usd, counted_usd, created_at, account FROM generations UNION ALL "
        "SELECT state, estimated_cost_usd, counted_usd, created_at, account FROM forgotten) "
        "WHERE account=? AND state != 'failed' AND created_at >= ?",
        (account, after),
    ).fetchone()
    (unknown,) = db.execute(
        "SELECT COUNT(*) FROM unknown_creates WHERE account=? AND sent_at >= ?", (account, after)
    ).fetchone()
    held_after = min(since, datetime.now(UTC) - HOLDS_COUNT_FOR).isoformat(timespec="milliseconds")
    (held,) = db.execute(
        "SELECT COALESCE(SUM(counted_usd), 0) FROM holds WHERE account=? AND held_at >= ?", (account, held_after)
    ).fetchone()
    return Spending(
        usd=round(usd, 4),
        priced=priced,
        unpriced=unpriced,
        counted_usd=round(counted, 4),
        uncounted=uncounted,
        outcome_unknown=unknown,
        held_usd=round(held, 4),
    )


_COLUMNS = (
    "id, api, kind, model, request, state, outputs, failure_reason, failure_code, estimated_cost_usd, created_at, "
    "files, counted_usd"
)


def _entry(row: Sequence[Any]) -> LedgerEntry:
    id_, api, kind, model, request, state, outputs, failure_reason, failure_code, cost, created_at, files, counted = row
    return LedgerEntry(
        id=id_,
        api=api,
        kind=kind,
        model=model,
        request=json.loads(request),
        state=state,
        outputs=json.loads(outputs),
        failure_reason=failure_reason,
        failure_code=failure_code,
        estimated_cost_usd=cost,
        created_at=created_at,
        files=json.loads(files),
        counted_usd=counted,
    )
