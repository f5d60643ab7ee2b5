"""`AgentsClient`: Luma's Agents API (`agents.lumalabs.ai/v1`: Ray 3.2 video, Uni-1 images, uploaded files), as the
Agents implementation of `LumaBackend`.

What the API lacks shapes this client. It has no list, delete, balance or catalog endpoints, so those are refused
by name (the ledger answers for lists). It takes no idempotency key and cannot list, so a create whose answer is
lost can never be found again: it is never repeated once it may have reached Luma, and the caller is told plainly
that it may have been charged. Its output URLs are signed for an hour and re-signed on every look.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx

from .agents_wire import AgentsGeneration, AgentsRequest, CreatedFile, File, as_generation
from .backend import AddAudio, FileSent, Job, Upscale
from .errors import LumaError, NotFoundError
from .errors.wording import (
    agents_create_outcome_unknown,
    answer_about_another,
    file_not_ready,
    file_refused,
    local_file_changed,
    not_offered,
)
from .http_client import LumaHTTP, OverLumaHTTP, may_have_started, parse
from .models import (
    Credits,
    Generation,
    GenerationPage,
    GenerationRequest,
    ModifyVideoRequest,
    ReframeImageRequest,
    ReframeVideoRequest,
    is_generation_id,
)
from .retries import RetryPolicy
from .settings import DEFAULT_AGENTS_BASE_URL
from .timing import TimePolicy, time_left

logger = logging.getLogger(__name__)

API = "agents"
UPLOAD_CHUNK = 256 * 1024
FILE_CHECK_SECONDS = 0.5
"""How often an uploaded file is looked at while Luma ingests it."""
FILE_EXPIRY_MARGIN = 3600.0
"""A file Luma may delete within this many seconds is uploaded again rather than named in a job."""


_DREAM_MACHINE_JOBS: dict[type, str] = {
    GenerationRequest: "the Dream Machine video models",
    Upscale: "upscaling",
    AddAudio: "adding audio",
    ModifyVideoRequest: "modifying videos with ray-2 or ray-flash-2",
    ReframeVideoRequest: "reframing videos with ray-2 or ray-flash-2",
    ReframeImageRequest: "reframing images with Photon",
}


class AgentsClient(OverLumaHTTP):
    api = API
    lists_generations = False

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_AGENTS_BASE_URL,
        timing: TimePolicy = TimePolicy(),
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._timing = timing
        self._retry = retry
        self._http = LumaHTTP(
            api_key=api_key, base_url=base_url, timing=timing, retry=retry, transport=transport, api=API
        )

    async def start(self, job: Job) -> Generation:
        if not isinstance(job, AgentsRequest):
            raise not_offered(API, _DREAM_MACHINE_JOBS[type(job)])
        where = "POST /generations"
        try:
            answer = await self._http.request(
                "POST", "generations", json=job.body(), idempotent=False, cap=self._timing.paid, retries=0
            )
            started = parse(AgentsGeneration, answer, where)
        except LumaError as exc:
            if may_have_started(exc):
                raise agents_create_outcome_unknown(exc) from exc
            raise
        if not is_generation_id(started.id):
            raise agents_create_outcome_unknown(None)
        return as_generation(started, job)

    async def get_generation(self, generation_id: str, *, poll: bool = False) -> Generation:
        path = f"generations/{generation_id}"
        answer = await self._http.get(path, AgentsGeneration, poll=poll)
        if answer.id.lower() != generation_id.lower():
            raise answer_about_another(f"GET /{path}", answer.id, generation_id)
        return as_generation(answer)

    async def list_generations(self, *, limit: int = 100, offset: int = 0, poll: bool = False) -> GenerationPage:
        raise not_offered(API, "listing generations")

    async def delete_generation(self, generation_id: str) -> None:
        raise not_offered(API, "deleting generations")

    async def list_concepts(self) -> list[str]:
        raise not_offered(API, "camera concepts")

    async def list_camera_motions(self) -> list[str]:
        raise not_offered(API, "camera motions")

    async def get_credits(self) -> Credits:
        raise not_offered(API, "a credit balance")

    async def upload_media(self, path: Path, *, media_type: str, sha256: str, sent: FileSent | None = None) -> str:
        """Upload a checked local file through the Files API (create, presigned PUT, complete) and wait until Luma
        has ingested it, within the call's time left; returns its file id. The bytes are hashed as they go: if they
        are not the checked ones (the file was changed or swapped since), the upload is never completed, so Luma
        never takes them in and no job names them."""
        size = (await anyio.Path(path).stat()).st_size
        body = {"mime_type": media_type, "size_bytes": size, "filename": path.name, "purpose": "input"}
        created = parse(
            CreatedFile,
            await self._http.request("POST", "files", json=body, idempotent=False, cap=self._timing.read, retries=0),
            "POST /files",
        )
        if created.upload is not None:
            headers = {"Content-Length": str(size), **(created.upload.headers or {})}
            digest = hashlib.sha256()
            await self._http.put_presigned(created.upload.url, _chunks(path, digest), headers=headers)
            if digest.hexdigest() != sha256:
                raise local_file_changed(path)
            await self._http.request(
                "POST", f"files/{created.id}/complete", idempotent=False, cap=self._timing.read, retries=0
            )
        if sent is not None:
            await sent(created.id)
        file = await self._settled(created.id, path)
        if file.state != "ready":
            raise file_refused(path, file.failure_reason)
        return file.id

    async def uploaded_media(self, file_id: str, path: Path) -> str | None:
        try:
            file = await self._settled(file_id, path)
        except NotFoundError:
            return None
        if file.state != "ready" or _expires_soon(file.expires_at):
            return None
        return file.id

    async def _settled(self, file_id: str, path: Path) -> File:
        """The file once Luma has finished taking it in (ready, failed or deleted), within the call's time left."""
        while True:
            file = await self._http.get(f"files/{file_id}", File)
            if file.state != "pending":
                return file
            if time_left() < FILE_CHECK_SECONDS * 2:
                raise file_not_ready(path)
            await anyio.sleep(FILE_CHECK_SECONDS)


def _expires_soon(expires_at: str | None) -> bool:
    """Whether Luma may delete the file before a job started now has read it; an unreadable time counts as soon."""
    if expires_at is None:
        return False
    try:
        moment = datetime.fromisoformat(expires_at)
    except ValueError:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment - datetime.now(UTC) < timedelta(seconds=FILE_EXPIRY_MARGIN)


async def _chunks(path: Path, digest: hashlib._Hash) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as file:
        while chunk := await file.read(UPLOAD_CHUNK):
            digest.update(chunk)
            yield chunk
