"""Argument and result types several tools share; their descriptions are what the model reads."""

from typing import Annotated

from mcp.types import CallToolResult
from pydantic import Field

from ..models import Duration, Model, Resolution
from ..results import GenerationResult

Wait = Annotated[
    bool,
    Field(
        description=(
            "Wait for the video, reporting progress, for up to the server's time limit (45 s by default). If it "
            "is not done by then you get its current state; call get_generation with wait=true to keep waiting."
        )
    ),
]
ModelArg = Annotated[Model, Field(description="ray-2 (best) or ray-flash-2 (faster, cheaper).")]
ResolutionArg = Annotated[Resolution | None, Field(description="540p, 720p (default), 1080p or 4k; more costs more.")]
DurationArg = Annotated[Duration | None, Field(description="5s (default) or 9s.")]
GenerationOutput = Annotated[CallToolResult, GenerationResult]
