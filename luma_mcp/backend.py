"""`LumaBackend`: what one Luma API offers an account, and the boundary between the tools and that API's wire.

The tools never call an API client by name. They speak to an `Account` (luma_mcp/account.py), which holds one
backend and, behind it, the poller and the create queue. A second Luma API joins by implementing this protocol;
`DreamMachineClient` (luma_mcp/client.py) is the first implementation.

The paid jobs are data (`Job`), not methods, so that an account can queue, count and watch any of them the same
way, and a backend can refuse by name a job its API does not offer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .agents_wire import AgentsRequest
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
)


@dataclass(frozen=True)
class Upscale:
    """Upscale the finished generation `generation_id`; the result is a new generation."""

    generation_id: str
    request: UpscaleRequest


@dataclass(frozen=True)
class AddAudio:
    """Give the finished generation `generation_id` a soundtrack; the result is a new generation."""

    generation_id: str
    request: AudioRequest


FileSent = Callable[[str], Awaitable[None]]
"""Told the id of an uploaded file as soon as its bytes are in, while the API still takes it in."""

DreamMachineEdit = ModifyVideoRequest | ReframeVideoRequest | ReframeImageRequest
"""The Dream Machine API's changes to an existing video or image: each names its kind in `generation_type`."""

Job = GenerationRequest | ImageRequest | Upscale | AddAudio | DreamMachineEdit | AgentsRequest
"""Everything Luma charges for: on the Dream Machine API a new video (text, images, extend, bridge), a Photon image,
an upscale, a soundtrack, a modified or reframed video or a reframed image; on the Agents API any of its job types
(`AgentsRequest.type`)."""


def kind_and_body(job: Job) -> tuple[str, dict[str, object]]:
    """What a job makes, and the body sent for it: how the ledger keeps it."""
    match job:
        case AgentsRequest():
            return job.type, job.body()
        case GenerationRequest():
            return "video", job.body()
        case ImageRequest():
            return "image", job.body()
        case Upscale(generation_id=source, request=request):
            return "upscale", {"generation_id": source, **request.body()}
        case AddAudio(generation_id=source, request=request):
            return "audio", {"generation_id": source, **request.body()}
        case ModifyVideoRequest() | ReframeVideoRequest() | ReframeImageRequest():
            return job.generation_type, job.body()


class LumaReads(Protocol):
    """What a Luma API tells without changing anything: all that tool code may ask of a backend directly (see
    `Account.reads`). Starting and deleting go through the `Account`, which keeps them within Luma's limits.

    `poll=True` asks for one quick try (no retries, a short time limit), for a poller that looks again next tick
    anyway.
    """

    async def get_generation(self, generation_id: str, *, poll: bool = False) -> Generation: ...

    async def list_generations(self, *, limit: int = 100, offset: int = 0, poll: bool = False) -> GenerationPage: ...

    async def list_concepts(self) -> list[str]: ...

    async def list_camera_motions(self) -> list[str]: ...

    async def get_credits(self) -> Credits: ...


class LumaBackend(LumaReads, Protocol):
    """One Luma API, as an account uses it. A backend whose API cannot list generations says so with
    `lists_generations`; the poller then looks at many generations one by one instead of a page at a time.
    """

    api: str
    """Which Luma API answers, as the tools name it (`dream-machine`)."""
    lists_generations: bool

    @property
    def key_accepted(self) -> bool:
        """True once the API has accepted the key (answered any request with success)."""
        ...

    async def start(self, job: Job) -> Generation:
        """Start a paid job, never sending it twice; raises `CreateOutcomeUnknownError` when that cannot be told."""
        ...

    async def delete_generation(self, generation_id: str) -> None: ...

    async def upload_media(self, path: Path, *, media_type: str, sha256: str, sent: FileSent | None = None) -> str:
        """Hand a checked local image or video (of `media_type`, its content's digest `sha256`) to the API; returns
        the id a job names it by, once the API can use it. Bytes that are not the checked ones (the file changed
        since) are refused before the API takes them. `sent` hears the id as soon as the bytes are in, before that
        wait."""
        ...

    async def uploaded_media(self, file_id: str, path: Path) -> str | None:
        """A file uploaded earlier (from `path`), once the API can use it; None when the API no longer has it
        (expired, deleted, refused), so it must be uploaded again."""
        ...

    async def aclose(self) -> None: ...
