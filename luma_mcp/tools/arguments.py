"""Argument and result types several tools share; their descriptions are what the model reads."""

from typing import Annotated, Literal

from mcp.types import CallToolResult
from pydantic import Field, StringConstraints

from ..results import GenerationResult

Wait = Annotated[
    bool,
    Field(
        description=(
            "Wait for the video or image, reporting progress, for up to the server's time limit (45 s by default). If "
            "it is not done by then you get its current state; call get_generation with wait=true to keep waiting."
        )
    ),
]
VideoModel = Literal["ray-3.2", "ray-2", "ray-flash-2"]
VideoModelArg = Annotated[
    VideoModel | None,
    Field(
        description=(
            "ray-3.2: Luma's newest (5 s or 10 s, 360p to 1080p, HDR; needs an Agents API key). ray-2 (up to 4k, "
            "5 s or 9 s) or ray-flash-2 (faster, cheaper): the Dream Machine API. Default: ray-3.2 with an Agents "
            "API key, else ray-2."
        )
    ),
]
AnyResolutionArg = Annotated[
    Literal["360p", "540p", "720p", "1080p", "4k"] | None,
    Field(description="720p by default; 360p (a quick draft) on ray-3.2 only, 4k on ray-2 and ray-flash-2 only."),
]
AnyDurationArg = Annotated[
    Literal["5s", "9s", "10s"] | None,
    Field(description="5s by default; 10s on ray-3.2 only, 9s on ray-2 and ray-flash-2 only."),
]
GenerationOutput = Annotated[CallToolResult, GenerationResult]
AgentsPrompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=6000)]
"""A prompt of an Agents API job: 1 to 6000 characters (Luma's limits); each tool adds what it describes."""
MediaArgument = Annotated[
    str,
    Field(min_length=1, description="An https URL, the id of a finished generation, or a local file path."),
]
"""An image or video argument: every one takes the same three forms (see `tools/media.py`)."""
