"""`DreamMachineClient`: Luma's Dream Machine API, as the Dream Machine implementation of `LumaBackend`.

It knows the API's endpoints and how to recover a create whose answer was lost; `LumaHTTP` (http_client.py) carries
the requests. Everything above it sees `luma_mcp.backend`, `luma_mcp.models` and `luma_mcp.errors`.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter

from .agents_wire import AgentsRequest
from .backend import AddAudio, FileSent, Job, Upscale
from .errors import LumaError
from .errors.wording import (
    LostCreateSearch,
    answer_about_another,
    answer_id_not_a_uuid,
    create_outcome_unknown,
    local_files_refused,
    not_offered,
)
from .http_client import MIN_REQUEST_SECONDS, LumaHTTP, OverLumaHTTP, may_have_started, parse
from .models import (
    AudioRequest,
    Credits,
    Generation,
    GenerationPage,
    GenerationRequest,
    ImageRequest,
    ModifyVideoRequest,
    ReframeImageRequest,
    ReframeVideoRequest,
    UpscaleRequest,
    is_generation_id,
)
from .retries import RetryPolicy
from .settings import DEFAULT_BASE_URL
from .timing import TimePolicy, time_left

logger = logging.getLogger(__name__)

# Finding a create whose answer was lost: how many of the newest generations to look through, and how far our
# clock may run ahead of Luma's. An identical request made within that margin would be taken for the lost one.
RECOVERY_WINDOW = 10
HANDED_OUT_MEMORY: int = RECOVERY_WINDOW * 10
CLOCK_SKEW = timedelta(seconds=15)
_STRINGS: TypeAdapter[list[str]] = TypeAdapter(list[str])
_EDIT_PATHS = {
    "modify_video": "generations/video/modify",
    "reframe_video": "generations/video/reframe",
    "reframe_image": "generations/image/reframe",
}


class DreamMachineClient(OverLumaHTTP):
    """One account's connection to the Dream Machine API, for the life of the account.

    Any answer to a create is final here: a 429 is raised for `CreateQueue` to wait out, a refusal (another 4xx) as
    it is, and anything else goes down the lost-answer path (see `_start`).
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        timing: TimePolicy = TimePolicy(),
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        handed_out: deque[str] | None = None,
    ) -> None:
        self._timing = timing
        self._retry = retry
        # Ids of paid generations already handed out, so a lost answer is never matched to one of them; the
        # caller may keep them across clients of one account.
        self._started: deque[str] = deque(maxlen=HANDED_OUT_MEMORY) if handed_out is None else handed_out
        self._http = LumaHTTP(api_key=api_key, base_url=base_url, timing=timing, retry=retry, transport=transport)

    api = "dream-machine"
    lists_generations = True

    async def start(self, job: Job) -> Generation:
        match job:
            case GenerationRequest():
                return await self.create_generation(job)
            case ImageRequest():
                return await self._start("generations/image", job.body(), what="image", findable=True)
            case Upscale(generation_id=source, request=request):
                return await self.upscale_generation(source, request)
            case AddAudio(generation_id=source, request=request):
                return await self.add_audio(source, request)
            case ModifyVideoRequest() | ReframeVideoRequest() | ReframeImageRequest():
                path = _EDIT_PATHS[job.generation_type]
                return await self._start(path, job.body(), what=job.generation_type.replace("_", " "), findable=True)
            case AgentsRequest():
                raise not_offered(self.api, f"{job.model} ({job.type})")

    async def upload_media(self, path: Path, *, media_type: str, sha256: str, sent: FileSent | None = None) -> str:
        """The Dream Machine API fetches every image and video from a public URL; it takes no uploads."""
        raise local_files_refused(path)

    async def uploaded_media(self, file_id: str, path: Path) -> str | None:
        return None  # it takes no uploads, so it has none

    async def create_generation(self, request: GenerationRequest) -> Generation:
        return await self._start("generations/video", request.body(), what="create", findable=True)

    async def get_generation(self, generation_id: str, *, poll: bool = False) -> Generation:
        """`poll`: one quick try (no retries, a short timeout), for a poller that looks again next tick anyway."""
        path = f"generations/{generation_id}"
        return _checked(await self._http.get(path, Generation, poll=poll), f"GET /{path}", asked=generation_id)

    async def list_generations(self, *, limit: int = 100, offset: int = 0, poll: bool = False) -> GenerationPage:
        return await self._usable_page(limit, offset, poll=poll)

    async def delete_generation(self, generation_id: str) -> None:
        await self._http.request(
            "DELETE", f"generations/{generation_id}", cap=self._timing.read, retries=self._retry.retries
        )

    async def upscale_generation(self, generation_id: str, request: UpscaleRequest) -> Generation:
        # Luma's echo of an upscale or audio request does not name its source, so a lost answer cannot be found.
        return await self._start(f"generations/{generation_id}/upscale", request.body(), what="upscale", findable=False)

    async def add_audio(self, generation_id: str, request: AudioRequest) -> Generation:
        return await self._start(f"generations/{generation_id}/audio", request.body(), what="audio", findable=False)

    async def list_concepts(self) -> list[str]:
        return await self._http.get("generations/concepts/list", _STRINGS)

    async def list_camera_motions(self) -> list[str]:
        """Legacy endpoint, gone from Luma's current spec: expect `NotFoundError`."""
        return await self._http.get("generations/camera_motion/list", _STRINGS)

    async def get_credits(self) -> Credits:
        return await self._http.get("credits", Credits)

    async def ping(self) -> None:
        await self._http.request("GET", "ping", cap=self._timing.read, retries=self._retry.retries)

    async def _usable_page(
        self, limit: int, offset: int, *, poll: bool = False, cap: float | None = None, retries: int | None = None
    ) -> GenerationPage:
        """A page of `GET /generations` (`poll`, `cap` and `retries` as for `_get`). An entry whose id is not a UUID
        is left out rather than failing the page: no tool could act on it, and one bad entry must not hide the others
        from the model, the poller and the search for a lost create."""
        params = {"limit": limit, "offset": offset}
        page = await self._http.get("generations", GenerationPage, params=params, poll=poll, cap=cap, retries=retries)
        usable = [generation for generation in page.generations if is_generation_id(generation.id)]
        if len(usable) < len(page.generations):
            logger.warning(
                "Left out %d generations whose id Luma gave is not a UUID", len(page.generations) - len(usable)
            )
            page.generations = usable
        return page

    async def _start(self, path: str, body: dict[str, Any], *, what: str, findable: bool) -> Generation:
        """Start something Luma charges for. If its answer is lost (a broken connection, a timeout, a 408, 409 or
        5xx, an unreadable reply), Luma may have started it anyway: look for it among the newest generations
        before reporting a failure, and then say plainly that the outcome is unknown."""
        sent_at = datetime.now(UTC)
        try:
            answer = await self._http.request(
                "POST",
                path,
                json=body,
                idempotent=False,
                cap=self._timing.paid,
                retries=self._retry.retries,
                leave=self._timing.lost_answer_search if findable else 0.0,
            )
            started = _checked(parse(Generation, answer, f"POST /{path}"), f"POST /{path}")
        except LumaError as exc:
            if not may_have_started(exc):
                raise
            lost = exc
        else:
            self._started.append(started.id)
            return started
        search: LostCreateSearch = "unfindable"
        if findable and time_left() < MIN_REQUEST_SECONDS:
            search = "no_time"
        elif findable:
            try:
                found = await self._find_started(body, sent_at)
            except LumaError:
                search = "list_failed"
            else:
                if found is not None:
                    logger.warning("The answer to a %s was lost (%s); Luma had started it as %s", what, lost, found.id)
                    self._started.append(found.id)
                    return found
                search = "not_listed"
        raise create_outcome_unknown(what, lost, search) from lost

    async def _find_started(self, body: dict[str, Any], sent_at: datetime) -> Generation | None:
        """The newest generation, not already handed out, whose echoed request matches `body` and that was
        created after we sent it."""
        earliest = sent_at - CLOCK_SKEW
        # One try, within what is left of the call: the model is told to look again itself if this fails.
        listed = await self._usable_page(RECOVERY_WINDOW, 0, cap=self._timing.lost_answer_search, retries=0)
        for generation in listed.generations:
            echoed = generation.request or {}
            if (
                generation.id not in self._started
                and all(echoed.get(key) == value for key, value in body.items())
                and _created_after(generation, earliest)
            ):
                return generation
        return None


def _created_after(generation: Generation, earliest: datetime) -> bool:
    created = generation.created
    return created is not None and created.tzinfo is not None and created >= earliest


def _checked(generation: Generation, where: str, *, asked: str | None = None) -> Generation:
    """The generation in an answer, if its id is a UUID and, for a lookup, the one asked for."""
    if not is_generation_id(generation.id):
        raise answer_id_not_a_uuid(where)
    if asked is not None and generation.id.lower() != asked.lower():
        raise answer_about_another(where, generation.id, asked)
    return generation
