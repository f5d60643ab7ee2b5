"""Luma's wire format: what we send (requests) and what comes back (generations), as pydantic models.

Responses are parsed leniently (unknown fields kept, every field optional) because Luma's objects have
grown fields over time; requests are strict, because a typo there costs a paid generation.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Model = Literal["ray-2", "ray-flash-2"]
PhotonModel = Literal["photon-1", "photon-flash-1"]
Resolution = Literal["540p", "720p", "1080p", "4k"]
Duration = Literal["5s", "9s"]
AspectRatio = Literal["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"]

MODELS: tuple[str, ...] = get_args(Model)
RESOLUTIONS: tuple[str, ...] = get_args(Resolution)
DURATIONS: tuple[str, ...] = get_args(Duration)
ASPECT_RATIOS: tuple[str, ...] = get_args(AspectRatio)

TERMINAL_STATES = frozenset({"completed", "failed"})
PROMPT_MIN_LENGTH = 3
PROMPT_MAX_LENGTH = 5000
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def body(self) -> dict[str, Any]:
        """The JSON body Luma expects: unset fields are left out rather than sent as null."""
        return self.model_dump(mode="json", exclude_none=True)


class ImageKeyframe(_Request):
    type: Literal["image"] = "image"
    url: str


class GenerationKeyframe(_Request):
    type: Literal["generation"] = "generation"
    id: str


Keyframe = Annotated[ImageKeyframe | GenerationKeyframe, Field(discriminator="type")]


class Keyframes(_Request):
    frame0: Keyframe | None = None
    frame1: Keyframe | None = None


class Concept(_Request):
    key: str


class GenerationRequest(_Request):
    """Body of `POST /generations/video`: text-to-video, image-to-video, extend and interpolate."""

    model: Model = "ray-2"
    prompt: str | None = None
    aspect_ratio: AspectRatio | None = None
    loop: bool | None = None
    keyframes: Keyframes | None = None
    resolution: Resolution | None = None
    duration: Duration | None = None
    concepts: list[Concept] | None = None
    callback_url: str | None = None


class WeightedUrl(_Request):
    """An image Photon reads with a weight (0 to 1) saying how much it counts; no weight leaves it to Luma."""

    url: str
    weight: float | None = None


class Character(_Request):
    images: list[str]


class ImageRequest(_Request):
    """Body of `POST /generations/image` (Photon): text-to-image, guided by reference, style and character images,
    or a change of one image (`modify_image_ref`). Luma's own name for the output format is `format`."""

    model: PhotonModel
    prompt: str | None = None
    aspect_ratio: AspectRatio | None = None
    format: Literal["jpg", "png"] | None = None
    image_ref: list[WeightedUrl] | None = None
    style_ref: list[WeightedUrl] | None = None
    character_ref: dict[str, Character] | None = None
    modify_image_ref: WeightedUrl | None = None
    callback_url: str | None = None


ModifyMode = Literal[
    "adhere_1", "adhere_2", "adhere_3", "flex_1", "flex_2", "flex_3", "reimagine_1", "reimagine_2", "reimagine_3"
]


class MediaUrl(_Request):
    """An image or video Luma fetches from a public URL."""

    url: str


class ModifyVideoRequest(_Request):
    """Body of `POST /generations/video/modify`: video-to-video on a source video of at most 10 s (ray-2) or 15 s."""

    generation_type: Literal["modify_video"] = "modify_video"
    model: Model
    media: MediaUrl
    mode: ModifyMode
    prompt: str | None = None
    first_frame: MediaUrl | None = None
    callback_url: str | None = None
    source_pixels: float | None = Field(default=None, exclude=True)
    """What Luma charges by, not sent: the source's width x height x frames, when it is a video of known size (one
    this server made); None for a URL, whose length and size cannot be known before sending."""


class _ReframeRequest(_Request):
    """What reframing an image or a video shares: the new shape, and where the source sits in it (all pixels)."""

    media: MediaUrl
    aspect_ratio: AspectRatio
    prompt: str | None = None
    grid_position_x: int | None = None
    grid_position_y: int | None = None
    x_start: int | None = None
    x_end: int | None = None
    y_start: int | None = None
    y_end: int | None = None
    resized_width: int | None = None
    resized_height: int | None = None
    callback_url: str | None = None


class ReframeVideoRequest(_ReframeRequest):
    """Body of `POST /generations/video/reframe`."""

    generation_type: Literal["reframe_video"] = "reframe_video"
    model: Model
    first_frame: MediaUrl | None = None


class ReframeImageRequest(_ReframeRequest):
    """Body of `POST /generations/image/reframe`."""

    generation_type: Literal["reframe_image"] = "reframe_image"
    model: PhotonModel
    format: Literal["jpg", "png"] | None = None


class UpscaleRequest(_Request):
    resolution: Resolution | None = None
    callback_url: str | None = None


class AudioRequest(_Request):
    prompt: str | None = None
    negative_prompt: str | None = None
    callback_url: str | None = None


IMAGE_JOB_TYPES = frozenset({"image", "image_edit", "layering"})
"""The generation types of image jobs: they take seconds, not minutes."""


def is_generation_id(value: str) -> bool:
    """Luma's generation ids are UUIDs. An answer's id goes into URL paths, file names and the model's next calls,
    so one that is anything else is not used."""
    return _UUID.fullmatch(value) is not None


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class Assets(_Response):
    video: str | None = None
    image: str | None = None
    progress_video: str | None = None


class Generation(_Response):
    """A generation as every layer above the API clients sees it, whichever API made it (Dream Machine answers
    parse straight into it; the Agents API's are turned into it by `agents_wire.as_generation`)."""

    id: str
    api: str = "dream-machine"
    generation_type: str | None = None
    state: str = "queued"
    failure_reason: str | None = None
    failure_code: str | None = None
    created_at: str | None = None
    assets: Assets | None = None
    outputs: list[dict[str, Any]] | None = None
    """Every output, for an API that makes several (the Agents API's layers): type, url, and layer."""
    urls_expire_at: str | None = None
    """When the output URLs stop working (ISO 8601, UTC), for an API whose URLs expire (the Agents API's)."""
    model: str | None = None
    request: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _image_as_output(self) -> Generation:
        """A Photon image is in `assets.image`, where a video keeps its thumbnail: it is listed in `outputs` too, as
        every image job's files are, so it is shown and saved as the image it is."""
        if self.outputs is None and self.generation_type == "image" and self.assets and self.assets.image:
            self.outputs = [{"type": "image", "url": self.assets.image}]
        return self

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def makes_image(self) -> bool:
        """An image job (either API's: Photon's, Uni-1's, their edits and layers), rather than a video one."""
        return self.generation_type in IMAGE_JOB_TYPES

    @property
    def created(self) -> datetime | None:
        """`created_at` as a time, as Luma wrote it (its two APIs end it in `Z` or `+00:00`); None if unreadable."""
        try:
            return datetime.fromisoformat((self.created_at or "").replace("Z", "+00:00"))
        except ValueError:
            return None

    @property
    def prompt(self) -> str | None:
        prompt = (self.request or {}).get("prompt")
        return prompt if isinstance(prompt, str) else None


class GenerationPage(_Response):
    generations: list[Generation]
    has_more: bool | None = None
    count: int | None = None
    limit: int | None = None
    offset: int | None = None


class Credits(_Response):
    credit_balance: float
