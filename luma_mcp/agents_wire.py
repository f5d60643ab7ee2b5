"""The Agents API's wire format (`agents.lumalabs.ai/v1`, SDK `luma-agents` 0.5.0 `types/`), as pydantic models.

As in `models.py`, requests are strict (a typo costs a paid job) and answers lenient (unknown fields kept, new enum
values accepted), because the API grows. `as_generation` turns an answer into the `Generation` every layer above the
clients works with, so tools, results and the poller stay the same whichever API answered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from .models import Assets, Generation

AgentsModel = Literal["ray-3.2", "uni-1", "uni-1-max"]
JobType = Literal["image", "image_edit", "video", "video_edit", "video_reframe", "layering"]
RayResolution = Literal["360p", "540p", "720p", "1080p"]
RayDuration = Literal["5s", "10s"]
RayAspectRatio = Literal["9:16", "3:4", "1:1", "4:3", "16:9", "21:9"]
EditStrength = Literal[
    "adhere_1", "adhere_2", "adhere_3", "flex_1", "flex_2", "flex_3", "reimagine_1", "reimagine_2", "reimagine_3"
]
AGENTS_MODELS: tuple[str, ...] = get_args(AgentsModel)
OUTPUT_URL_LIFETIME = timedelta(hours=1)
"""Luma presigns output URLs for an hour, afresh on every GET (luma-agents-api.md §0.3)."""
FRAMES_PER_SECOND = 24
MAX_KEYFRAMES = 64


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, object]:
        """The JSON body Luma expects: unset fields are left out rather than sent as null."""
        return self.model_dump(mode="json", exclude_none=True)


class ImageRef(_Request):
    """Exactly one of `url`, `data` (with `media_type`), `generation_id` or `file_id`."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    generation_id: str | None = None
    file_id: str | None = None


class VideoEdit(_Request):
    auto_controls: bool | None = None
    strength: EditStrength | None = None


class SourcePosition(_Request):
    x_norm: float
    y_norm: float
    w_norm: float = Field(gt=0, le=2)
    h_norm: float = Field(gt=0, le=2)


class VideoOptions(_Request):
    resolution: RayResolution | None = None
    duration: RayDuration | None = None
    hdr: bool | None = None
    loop: bool | None = None
    start_frame: ImageRef | None = None
    end_frame: ImageRef | None = None
    keyframes: list[ImageRef] | None = None
    keyframe_indexes: list[int] | None = None
    source_position: SourcePosition | None = None
    edit: VideoEdit | None = None


class Layering(_Request):
    resolution: Literal["1k", "2k"] | None = None


class AgentsRequest(_Request):
    """Body of `POST /generations`: every job type, told apart by `type`. Only layering goes without a prompt."""

    prompt: str | None
    model: AgentsModel
    type: JobType
    aspect_ratio: str | None = None
    image_ref: list[ImageRef] | None = None
    source: ImageRef | None = None
    output_format: Literal["png", "jpeg"] | None = None
    style: Literal["auto", "manga"] | None = None
    video: VideoOptions | None = None
    layering: Layering | None = None


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class Layer(_Response):
    index: int
    label: str
    description: str | None = None
    alpha_hint: str | None = None


class Output(_Response):
    type: str
    url: str
    layer: Layer | None = None


class AgentsGeneration(_Response):
    id: str
    created_at: str | None = None
    model: str | None = None
    state: str = "queued"
    type: str | None = None
    failure_code: str | None = None
    failure_reason: str | None = None
    output: list[Output] | None = None


class PresignedUpload(_Response):
    url: str
    method: str = "PUT"
    headers: dict[str, str] | None = None
    expires_at: str | None = None


class File(_Response):
    id: str
    state: str
    mime_type: str | None = None
    size_bytes: int | None = None
    failure_reason: str | None = None
    expires_at: str | None = None


class CreatedFile(_Response):
    id: str
    state: str
    file: File | None = None
    upload: PresignedUpload | None = None


def as_generation(answer: AgentsGeneration, request: AgentsRequest | None = None) -> Generation:
    """The answer as a `Generation`: the first video and image outputs become its assets, every output is kept in
    `outputs`, the request we sent (the API echoes none) gives it its prompt, and its URLs are said to expire an
    hour after now, when they were minted."""
    outputs = answer.output or []
    expires = datetime.now(UTC) + OUTPUT_URL_LIFETIME if outputs else None
    video = next((output.url for output in outputs if output.type == "video"), None)
    image = next((output.url for output in outputs if output.type == "image"), None)
    return Generation(
        id=answer.id,
        api="agents",
        generation_type=answer.type,
        state=answer.state,
        failure_reason=answer.failure_reason,
        failure_code=answer.failure_code,
        created_at=answer.created_at,
        assets=Assets(video=video, image=image) if outputs else None,
        outputs=[output.model_dump(mode="json", exclude_none=True) for output in outputs],
        urls_expire_at=expires.isoformat(timespec="seconds").replace("+00:00", "Z") if expires else None,
        model=answer.model,
        request=request.body() if request is not None else None,
    )
