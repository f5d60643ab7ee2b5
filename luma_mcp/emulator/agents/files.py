"""The Files API's files: uploaded bytes, their ingest (``pending`` → ``ready`` or ``failed``) and soft deletion."""

from __future__ import annotations

import base64
import binascii
import itertools
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from luma_mcp.emulator.agents.media import content_matches, video_seconds
from luma_mcp.emulator.paths import STORAGE_PREFIX

UPLOADS_PATH = f"{STORAGE_PREFIX}uploads"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class IngestPlan:
    """How one file's ingest goes: seconds it takes, and the reason it fails, if it is to fail whatever the bytes."""

    seconds: float
    failure_reason: str | None = None


@dataclass
class StoredFile:
    """A file as the emulator keeps it; ``to_json`` is the API's ``File``."""

    owner: str
    mime_type: str
    size_bytes: int
    purpose: str
    filename: str | None
    user_id: str | None
    expires_at: datetime | None
    sequence: int
    """Creation order, for keyset paging."""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    state: str = "pending"
    content: bytes | None = None
    """The bytes received so far (by PUT or inline); dropped on deletion."""
    ingesting: bool = False
    """Set once the bytes are complete and ingest has begun."""
    seconds: float | None = None
    """How long a video file runs, once ingest has read it."""
    failure_reason: str | None = None
    deleted_at: datetime | None = None

    @property
    def upload_path(self) -> str:
        return f"{UPLOADS_PATH}/{self.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": iso(self.created_at),
            "mime_type": self.mime_type,
            "purpose": self.purpose,
            "size_bytes": self.size_bytes,
            "state": self.state,
            "deleted_at": None if self.deleted_at is None else iso(self.deleted_at),
            "expires_at": None if self.expires_at is None else iso(self.expires_at),
            "failure_reason": self.failure_reason,
            "filename": self.filename,
            "user_id": self.user_id,
        }


class FileStore:
    """Every client's files, newest last, plus the ingest plans queued by tests."""

    def __init__(self, *, ingest_seconds: float) -> None:
        self._default_plan = IngestPlan(ingest_seconds)
        self._files: dict[str, StoredFile] = {}
        self._plans: deque[IngestPlan] = deque()
        self._sequence = itertools.count(1)

    def clear(self) -> None:
        """Forget every file and ingest plan (see `Emulator.reset`); the sequence keeps counting."""
        self._files.clear()
        self._plans.clear()

    def plan_next(self, plan: IngestPlan) -> None:
        """Queue a plan; each file whose ingest begins takes the oldest one, or the default when none is left."""
        self._plans.append(plan)

    def create(
        self,
        *,
        owner: str,
        mime_type: str,
        size_bytes: int,
        purpose: str,
        filename: str | None,
        user_id: str | None,
        expires_at: datetime | None,
    ) -> StoredFile:
        stored = StoredFile(
            owner=owner,
            mime_type=mime_type,
            size_bytes=size_bytes,
            purpose=purpose,
            filename=filename,
            user_id=user_id,
            expires_at=expires_at,
            sequence=next(self._sequence),
        )
        self._files[stored.id] = stored
        return stored

    def get(self, file_id: str, *, owner: str | None = None) -> StoredFile | None:
        """The file (deleted ones too), if it exists and (when ``owner`` is given) belongs to that client."""
        stored = self._files.get(file_id)
        if stored is None or (owner is not None and stored.owner != owner):
            return None
        return stored

    def page(
        self, owner: str, *, after: int | None, limit: int, purpose: str | None, state: str | None
    ) -> tuple[list[StoredFile], bool]:
        """Up to ``limit`` of the client's files older than sequence ``after``, newest first, and whether more follow.

        Deleted files show only when asked for by ``state``: a soft-deleted file is gone from the client's view.
        """
        matching = [
            f
            for f in reversed(self._files.values())
            if f.owner == owner
            and (after is None or f.sequence < after)
            and (purpose is None or f.purpose == purpose)
            and (f.state == state if state is not None else f.state != "deleted")
        ]
        return matching[:limit], len(matching) > limit

    def begin_ingest(self, stored: StoredFile) -> IngestPlan:
        """Mark the bytes complete; the returned plan says how the ingest that now starts will go."""
        stored.ingesting = True
        return self._plans.popleft() if self._plans else self._default_plan

    def finish_ingest(self, stored: StoredFile, plan: IngestPlan) -> None:
        """``ready`` if the bytes are what was declared (size and format), else ``failed`` with the reason."""
        content = stored.content or b""
        reason = plan.failure_reason
        if reason is None and len(content) != stored.size_bytes:
            reason = f"Received {len(content)} bytes, but size_bytes was {stored.size_bytes}"  # inferred
        if reason is None and not content_matches(content, stored.mime_type):
            reason = f"File content is not valid {stored.mime_type}"  # inferred
        if reason is not None:
            stored.state, stored.failure_reason = "failed", reason
            return
        stored.state = "ready"
        if stored.mime_type.startswith("video/"):
            stored.seconds = video_seconds(content)

    def delete(self, stored: StoredFile) -> None:
        """Soft delete: the record stays (``state`` deleted), the bytes go."""
        if stored.state != "deleted":
            stored.state, stored.deleted_at, stored.content = "deleted", datetime.now(UTC), None


def cursor_after(stored: StoredFile) -> str:
    """An opaque cursor for the page after ``stored``."""
    return base64.urlsafe_b64encode(f"seq:{stored.sequence}".encode()).decode()


def sequence_of(cursor: str) -> int | None:
    """The sequence a cursor made by ``cursor_after`` names; ``None`` for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "seq" and number.isdigit() else None
