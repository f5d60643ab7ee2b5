"""What a completed generation serves: one image or one video, or a stack of layers; real files either way."""

from __future__ import annotations

from luma_mcp.emulator.agents.store import Output
from luma_mcp.emulator.agents.validation import GenerationRequest
from luma_mcp.emulator.assets import SAMPLE_IMAGE, SAMPLE_LAYER, SAMPLE_THUMBNAIL, SAMPLE_VIDEO

VIDEO = Output("video", SAMPLE_VIDEO, "video/mp4", "mp4")
PNG = Output("image", SAMPLE_IMAGE, "image/png", "png")
JPEG = Output("image", SAMPLE_THUMBNAIL, "image/jpeg", "jpg")
# Front to back, the background last and opaque (the layer fields as the SDK describes them).
LAYERS = (
    ("subject", "The main subject, cut out with soft edges", "soft", SAMPLE_LAYER),
    ("props", "Objects around the subject", "hard", SAMPLE_LAYER),
    ("background", "The scene behind everything else, filled in", "none", SAMPLE_IMAGE),
)


def outputs_for(request: GenerationRequest) -> tuple[Output, ...]:
    if request.video is not None:
        return (VIDEO,)
    if request.type == "layering":
        return tuple(
            Output(
                "image",
                sample,
                "image/png",
                "png",
                layer={"index": index, "label": label, "description": description, "alpha_hint": alpha_hint},
            )
            for index, (label, description, alpha_hint, sample) in enumerate(LAYERS)
        )
    # The model picks the format when none is asked for (luma-agents-api.md §3); the emulator picks JPEG.
    return (PNG,) if request.output_format == "png" else (JPEG,)
