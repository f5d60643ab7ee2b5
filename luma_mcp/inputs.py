"""Tool arguments: their types (which become the tools' JSON schemas) and the pure functions that turn them
into Luma requests. Anything refused here is refused before a request leaves the process, so it costs nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from difflib import get_close_matches
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from .agents_wire import MAX_KEYFRAMES
from .errors.wording import (
    LoopCase,
    backward_interpolation,
    loop_refused,
    media_not_printable,
    prompt_length_on_model,
    two_far_ends,
    unknown_arguments,
    url_not_http,
    url_without_host,
)
from .models import (
    PROMPT_MAX_LENGTH,
    PROMPT_MIN_LENGTH,
    GenerationKeyframe,
    ImageKeyframe,
    Keyframe,
    Keyframes,
)

MAX_CONCEPTS = 10


def _http_url(value: str) -> str:
    # urlsplit quietly drops tabs, newlines and leading control characters, so refuse them before it looks.
    parts = urlsplit(value)
    if any(char.isspace() or not char.isprintable() for char in value) or parts.scheme not in ("http", "https"):
        raise url_not_http()
    if not parts.netloc:
        raise url_without_host()
    return value


def _media(value: str) -> str:
    """An image or video argument: a URL is held to `_http_url`; a generation id or a path is judged by the tool,
    which knows the model (a local file is the Agents API's alone)."""
    if not value.isprintable():
        raise media_not_printable()
    return _http_url(value) if "://" in value else value


Prompt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=PROMPT_MIN_LENGTH, max_length=PROMPT_MAX_LENGTH),
    Field(
        description=(
            f"What happens in the video, {PROMPT_MIN_LENGTH} to {PROMPT_MAX_LENGTH} characters. Describe subject, "
            "action, setting, light and style; put camera moves in words here, e.g. 'slow dolly zoom' or "
            "'camera orbit left' (see list_camera_motions)."
        )
    ),
]
AudioPrompt = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=PROMPT_MIN_LENGTH, max_length=PROMPT_MAX_LENGTH),
    Field(description="The sound to add, e.g. 'wind in the trees, distant thunder'."),
]
GenerationId = Annotated[UUID, Field(description="A generation's id, a UUID as returned by create_generation.")]
ImageUrl = Annotated[str, AfterValidator(_http_url), Field(description="Public http(s) URL of a JPEG or PNG image.")]
ImageInput = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4096),
    AfterValidator(_media),
    Field(
        description=(
            "An image (JPEG, PNG, WebP or GIF): its public https URL; the id of a finished generation (its image); "
            "or, on ray-3.2 only, the path of a local file in a folder the user allows (LUMA_MCP_INPUT_DIRS, by "
            "default the output folder; a relative path is taken from there). ray-2 and ray-flash-2 take URLs and "
            "generation ids only."
        )
    ),
]


class VideoKeyframe(BaseModel):
    """One image the video passes through, and where."""

    model_config = ConfigDict(extra="forbid")

    image: ImageInput
    frame: Annotated[
        int,
        Field(
            ge=0,
            description="The frame it falls on, on the 24 fps output grid: 0 to 120 for a 5s video, 0 to 240 for 10s.",
        ),
    ]


KeyframesArg = Annotated[
    list[VideoKeyframe],
    Field(
        min_length=1,
        max_length=MAX_KEYFRAMES,
        description=(
            f"ray-3.2 only: 1 to {MAX_KEYFRAMES} images the video passes through, each at its own frame, e.g. "
            "[{'image': '/photos/a.jpg', 'frame': 0}, {'image': '/photos/b.jpg', 'frame': 120}]. Works with 10s and "
            "hdr; not with start_image_url, end_image_url or loop (put a start image at frame 0 instead)."
        ),
    ),
]
ConceptKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
Concepts = Annotated[
    list[ConceptKey],
    Field(
        max_length=MAX_CONCEPTS,
        description=(
            "Camera concept keys from list_concepts, e.g. ['dolly_zoom', 'aerial_drone']. They steer the camera "
            "more strongly than words in the prompt."
        ),
    ),
]
CallbackUrl = Annotated[
    str,
    AfterValidator(_http_url),
    Field(description="Optional public URL Luma POSTs the generation to when it starts dreaming and finishes."),
]
Direction = Literal["forward", "backward"]


def image_to_video_keyframes(start_image_url: str | None, end_image_url: str | None) -> Keyframes | None:
    if start_image_url is None and end_image_url is None:
        return None
    return Keyframes(
        frame0=ImageKeyframe(url=start_image_url) if start_image_url else None,
        frame1=ImageKeyframe(url=end_image_url) if end_image_url else None,
    )


def extend_keyframes(
    generation_id: str, *, direction: Direction, image_url: str | None, to_generation_id: str | None
) -> Keyframes:
    """The five shapes Luma accepts for continuing a video.

    forward: frame0=generation; backward: frame1=generation; forward to an image: frame0=generation,
    frame1=image; backward from an image: frame0=image, frame1=generation; interpolate: frame0=generation,
    frame1=to_generation.
    """
    source = GenerationKeyframe(id=generation_id)
    if to_generation_id is not None:
        if direction == "backward":
            raise backward_interpolation()
        if image_url is not None:
            raise two_far_ends()
        return Keyframes(frame0=source, frame1=GenerationKeyframe(id=to_generation_id))
    image: Keyframe | None = ImageKeyframe(url=image_url) if image_url is not None else None
    if direction == "forward":
        return Keyframes(frame0=source, frame1=image)
    return Keyframes(frame0=image, frame1=source)


def check_loop(keyframes: Keyframes | None, loop: bool | None) -> None:
    """Luma's loop rules, checked here so a refused request costs neither a round trip nor a queue slot."""
    if not loop or keyframes is None:
        return
    first, last = keyframes.frame0, keyframes.frame1
    if last is None:
        return
    case: LoopCase
    if isinstance(last, ImageKeyframe):
        if first is None:
            case = "end_frame"
        elif isinstance(first, ImageKeyframe):
            case = "start_and_end"
        else:
            case = "video_to_image"
    elif first is None:
        case = "video_backward"
    elif isinstance(first, ImageKeyframe):
        case = "image_to_video"
    else:
        case = "video_to_video"
    raise loop_refused(case)


def check_argument_names(tool: str, arguments: Mapping[str, Any], known: Collection[str]) -> None:
    """Refuse argument names the tool does not have: ignored, a misspelt `aspectratio` would make a 16:9 video
    the user pays for."""
    unknown = [name for name in arguments if name not in known]
    if not unknown:
        return
    nearest = {name: next(iter(get_close_matches(name, list(known), n=1, cutoff=0.6)), None) for name in unknown}
    raise unknown_arguments(tool, nearest, known)


def check_dream_machine_prompt(model: str, prompt: str) -> None:
    """Tools that serve both APIs take the Agents API's longer prompts; the Dream Machine API takes 3 to 5000
    characters, so a prompt outside that is refused before it is sent there."""
    if not PROMPT_MIN_LENGTH <= len(prompt) <= PROMPT_MAX_LENGTH:
        raise prompt_length_on_model(model, len(prompt), PROMPT_MIN_LENGTH, PROMPT_MAX_LENGTH)
