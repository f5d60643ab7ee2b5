"""The Files API: create (presigned or inline), complete, list, get and soft-delete a file.

Luma documents neither the statuses of create and complete nor what a second complete does: here create answers
201 (as a generation create does), complete 200, and completing a file whose ingest has begun returns it as it is.
Messages are inferred unless marked as Luma's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luma_mcp.emulator.agents.auth import authenticate
from luma_mcp.emulator.agents.config import size_text
from luma_mcp.emulator.agents.errors import InvalidParameter, MediaTooLarge
from luma_mcp.emulator.agents.fields import choice, json_object, string
from luma_mcp.emulator.agents.files import StoredFile, cursor_after, iso, sequence_of
from luma_mcp.emulator.agents.state import AgentsState
from luma_mcp.emulator.agents.vocabulary import (
    FILE_PAGE_SIZE,
    FILE_PURPOSES,
    FILE_STATES,
    IMAGE_MEDIA_TYPES,
    MAX_FILE_BYTES,
    MAX_FILE_PAGE_SIZE,
    USER_ID_MAX_LENGTH,
    VIDEO_MEDIA_TYPES,
)
from luma_mcp.emulator.bodies import json_body
from luma_mcp.emulator.clock import GenerationClock, Timeline
from luma_mcp.emulator.config import EmulatorConfig

MEDIA_TYPES = (*IMAGE_MEDIA_TYPES, *VIDEO_MEDIA_TYPES)


class FileRoutes:
    def __init__(self, config: EmulatorConfig, state: AgentsState, clock: GenerationClock) -> None:
        self._config = config.agents
        self._state = state
        self._clock = clock

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/files", self.create, methods=["POST"]),
            Route("/files", self.list_files, methods=["GET"]),
            Route("/files/{file_id}", self.get, methods=["GET"]),
            Route("/files/{file_id}", self.delete, methods=["DELETE"]),
            Route("/files/{file_id}/complete", self.complete, methods=["POST"]),
        ]

    async def create(self, request: Request) -> Response:
        """JSON asks for a presigned upload; multipart carries the bytes inline, and ingest starts at once."""
        owner = authenticate(request, self._config.api_keys)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            stored = await self._create_inline(request, owner)
            upload = None
        elif content_type.startswith("application/json"):
            stored = self._create_file(owner, json_object(await json_body(request, InvalidParameter), "Request body"))
            origin = f"{request.url.scheme}://{request.url.netloc}"
            url, expires = self._state.signer.sign(origin, stored.upload_path, binds=stored.mime_type)
            upload = {
                "url": url,
                "method": "PUT",
                "headers": {"Content-Type": stored.mime_type},
                "expires_at": iso(datetime.fromtimestamp(expires, UTC)),
            }
        else:
            raise InvalidParameter("Content-Type must be application/json or multipart/form-data")
        file = stored.to_json()
        return JSONResponse({"id": stored.id, "state": stored.state, "file": file, "upload": upload}, status_code=201)

    async def list_files(self, request: Request) -> Response:
        owner = authenticate(request, self._config.api_keys)
        query = dict(request.query_params)
        limit = _page_size(query.get("limit"))
        cursor = query.get("cursor")
        after = None if cursor is None else sequence_of(cursor)
        if cursor is not None and after is None:
            raise InvalidParameter("Invalid cursor: pass back the next_cursor of a previous page")
        page, has_more = self._state.files.page(
            owner,
            after=after,
            limit=limit,
            purpose=choice(query, "purpose", FILE_PURPOSES, "purpose"),
            state=choice(query, "state", FILE_STATES, "state"),
        )
        return JSONResponse(
            {
                "data": [stored.to_json() for stored in page],
                "has_more": has_more,
                "next_cursor": cursor_after(page[-1]) if has_more else None,
            }
        )

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._owned(request).to_json())

    async def complete(self, request: Request) -> Response:
        stored = self._owned(request)
        if stored.state == "deleted":
            raise InvalidParameter(f"File {stored.id} is deleted")
        if not stored.ingesting:
            if stored.content is None:
                raise InvalidParameter(f"No bytes were uploaded for file {stored.id}; PUT them to its upload URL first")
            self._ingest(stored)
        return JSONResponse(stored.to_json())

    async def delete(self, request: Request) -> Response:
        stored = self._owned(request)
        self._clock.stop(stored.id)
        self._state.files.delete(stored)
        return Response(status_code=204)

    def _owned(self, request: Request) -> StoredFile:
        """The file named in the path; one that is unknown or someone else's reads the same (as generations do)."""
        owner = authenticate(request, self._config.api_keys)
        stored = self._state.files.get(request.path_params["file_id"], owner=owner)
        if stored is None:
            raise HTTPException(404, "File not found")
        return stored

    async def _create_inline(self, request: Request, owner: str) -> StoredFile:
        cap = self._config.max_inline_upload_bytes
        async with request.form(max_files=1) as form:
            part = form.get("file")
            if not isinstance(part, UploadFile):
                raise InvalidParameter("file is required: the bytes, as a multipart/form-data part named 'file'")
            content = await part.read()
            if len(content) > cap:
                raise MediaTooLarge(f"file: {len(content)} bytes is over the inline upload limit of {cap} bytes")
            fields: dict[str, Any] = {
                name: value for name, value in form.items() if name != "file" and isinstance(value, str)
            }
            fields.setdefault("mime_type", part.content_type)
            fields.setdefault("filename", part.filename)
        fields["size_bytes"] = len(content)
        stored = self._create_file(owner, fields)
        stored.content = content
        self._ingest(stored)
        return stored

    def _create_file(self, owner: str, fields: dict[str, Any]) -> StoredFile:
        mime_type = fields.get("mime_type")
        if not isinstance(mime_type, str):
            raise InvalidParameter(f"mime_type is required; use one of: {', '.join(MEDIA_TYPES)}")
        if mime_type not in MEDIA_TYPES:
            raise InvalidParameter(f"Unsupported mime_type '{mime_type}'. Valid: {', '.join(MEDIA_TYPES)}")
        size = fields.get("size_bytes")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidParameter("size_bytes is required: the exact size of the file in bytes, at least 1")
        if size > MAX_FILE_BYTES:
            raise MediaTooLarge("size_bytes exceeds the 5 GiB limit")
        if mime_type in IMAGE_MEDIA_TYPES and size > self._config.max_image_bytes:
            raise MediaTooLarge(f"file: image exceeds {size_text(self._config.max_image_bytes)} limit")
        return self._state.files.create(
            owner=owner,
            mime_type=mime_type,
            size_bytes=size,
            purpose=choice(fields, "purpose", FILE_PURPOSES, "purpose") or FILE_PURPOSES[0],
            filename=string(fields, "filename", "filename"),
            user_id=string(fields, "user_id", "user_id", max_length=USER_ID_MAX_LENGTH),
            expires_at=_expiry(fields.get("expires_at")),
        )

    def _ingest(self, stored: StoredFile) -> None:
        plan = self._state.files.begin_ingest(stored)
        self._clock.start(
            Timeline(
                stored.id,
                0.0,
                plan.seconds,
                begin=lambda: None,
                finish=lambda: self._state.files.finish_ingest(stored, plan),
            )
        )


def _page_size(raw: str | None) -> int:
    if raw is None:
        return FILE_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_FILE_PAGE_SIZE:
        raise InvalidParameter(f"limit must be an integer from 1 to {MAX_FILE_PAGE_SIZE}, not '{raw}'")
    return int(raw)


def _expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise InvalidParameter(f"expires_at must be an ISO-8601 date-time, not {value!r}")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        raise InvalidParameter("expires_at must be in the future")
    return moment.astimezone(UTC)
