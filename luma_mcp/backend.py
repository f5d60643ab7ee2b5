"""`LumaBackend`: what one Luma API offers an account, and the boundary between the tools and that API's wire.

The tools never call an API client by name. They speak to an `Account` (luma_mcp/account.py), which holds one
backend and, behind it, the poller and the create queue. A second Luma API joins by implementing this protocol;
`DreamMachineClient` (luma_mcp/client.py) is the first implementation.

The paid jobs are data (`Job`), not methods, so that an account can queue, count and watch any of them the same
way, and a backend can refuse by name a job its API does not offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .models import AudioRequest, Credits, Generation, GenerationPage, GenerationRequest, UpscaleRequest


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


Job = GenerationRequest | Upscale | AddAudio
"""Everything Luma charges for: a new video (text, images, extend, bridge), an upscale, a soundtrack."""


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
    key_accepted: bool
    """True once the API has accepted the key (answered any request with success)."""

    async def start(self, job: Job) -> Generation:
        """Start a paid job, never sending it twice; raises `CreateOutcomeUnknownError` when that cannot be told."""
        ...

    async def delete_generation(self, generation_id: str) -> None: ...

    async def upload_media(self, path: Path) -> str:
        """Hand a local image or video to the API; returns what a job may name it by (a URL or file id)."""
        ...

    async def aclose(self) -> None: ...
