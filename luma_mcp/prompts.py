"""MCP prompts: ready-made requests a person can pick in their client to direct a video with our tools.

Prompt arguments arrive as strings on the wire, so every parameter here is a string.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field

from .icons import VIDEO_ICON

Idea = Annotated[str, Field(description="What the video should show, in a few words or a paragraph.")]
Model = Annotated[
    str, Field(description="ray-3.2, ray-2 or ray-flash-2; leave it empty to choose one from what list_models says.")
]
AspectRatio = Annotated[
    str, Field(description="16:9 (landscape), 9:16 (vertical), 1:1, 4:3, 3:4, 21:9, or 9:21 (ray-2 only).")
]
CameraConcept = Annotated[
    str, Field(description="The camera move, as a Luma concept key such as dolly_zoom; leave it empty to choose one.")
]

CHOOSE_MODEL = """Call list_models to see the video models this server has keys for, then pick one (the one I named, if
   any; if this server has no key for it, tell me which key unlocks it and stop):
   - ray-3.2 (Luma's newest, the default with an Agents API key): 5s or 10s, 360p for a cheap draft up to 1080p,
     hdr=true for high dynamic range (720p or 1080p), loop=true, start/end images (5s only) or keyframes (5s or
     10s, HDR too). It takes no concept keys: the camera move goes into the prompt, in words.
   - ray-2 or ray-flash-2 (the Dream Machine API): 5s or 9s, up to 4k, and concept keys from list_concepts that
     match the camera move."""
NONE_NAMED = "none named, pick one"
"""An optional argument left empty, as the text says it (one text for both, so manifest.json's copy holds too)."""


def plan_shot(
    idea: Idea, model: Model = "", aspect_ratio: AspectRatio = "16:9", camera_concept: CameraConcept = ""
) -> str:
    """Turn an idea into one well-directed shot: pick the model, write a prompt with a camera move, then make it."""
    return f"""Direct one short video shot with Luma for this idea: {idea}
Model: {model or NONE_NAMED}. Camera move (a Luma concept key): {camera_concept or NONE_NAMED}.

1. {CHOOSE_MODEL}
2. Call list_camera_motions to see the camera vocabulary, and settle on one camera move (the one I named, if any).
   On ray-2 or ray-flash-2, also pick at most two concept keys from list_concepts that match that move (the one I
   named among them).
3. Write a prompt of 1-3 sentences: the subject, what it does, the setting, the light, the style, and exactly one
   camera move written as a phrase from list_camera_motions (for example "slow dolly zoom").
4. Show me the model, the prompt, its options (duration, resolution, hdr or concepts), its price from list_models
   and the aspect ratio {aspect_ratio} in a few short lines, then call create_generation with them. If the result
   is not completed yet, call get_generation with wait=true.
5. Give me the video URL and offer to download it with download_generation."""


def storyboard(
    story: Annotated[str, Field(description="The story to tell across the shots.")],
    shots: Annotated[str, Field(description="How many shots, 2 to 5 (each adds about 5 seconds).")] = "3",
    model: Model = "",
    aspect_ratio: AspectRatio = "16:9",
) -> str:
    """Tell a story in consecutive shots: create the first, then extend it forward once per story beat."""
    return f"""Make a continuous video of {shots} shots with Luma that tells this story: {story}
Model: {model or NONE_NAMED}.

1. {CHOOSE_MODEL}
   Every shot of a storyboard uses the first shot's model: an extension follows the API that made its source.
   On ray-3.2 each extension is 5s (an extension starts from the previous shot's last frame, and 10s clips cannot
   start on a frame).
2. Split the story into {shots} beats and write one prompt per beat (subject, action, setting, light, one camera
   move phrase). Keep the characters, place and style the same in every prompt so the shots join up.
3. Show me the model and the beats as a numbered list, with the price of the whole sequence from list_models,
   before making anything; every shot costs money.
4. Shot 1: call create_generation with the first prompt, the chosen model and aspect_ratio {aspect_ratio}.
5. Each next shot: call extend_generation with generation_id set to the previous shot's id, direction "forward",
   and that beat's prompt. A shot must be completed before it can be extended: if a call returns before the
   video is done, call get_generation with wait=true first.
6. Finish with download_generation on the last shot, and list every shot's video URL."""


PROMPTS: tuple[tuple[Any, str], ...] = ((plan_shot, "Plan a shot"), (storyboard, "Storyboard a sequence"))


def register_prompts(server: MCPServer[Any]) -> None:
    for prompt, title in PROMPTS:
        server.prompt(title=title, icons=[VIDEO_ICON])(prompt)
