"""MCP prompts: ready-made requests a person can pick in their client to direct a video with our tools.

Prompt arguments arrive as strings on the wire, so every parameter here is a string.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field

Idea = Annotated[str, Field(description="What the video should show, in a few words or a paragraph.")]
AspectRatio = Annotated[
    str, Field(description="16:9 (landscape), 9:16 (vertical), 1:1, 4:3, 3:4, 21:9, or 9:21 (ray-2 only).")
]

CHOOSE_MODEL = """Call list_models to see the video models this server has keys for, then pick one:
   - ray-3.2 (Luma's newest, the default with an Agents API key): 5s or 10s, 360p for a cheap draft up to 1080p,
     hdr=true for high dynamic range (720p or 1080p), loop=true, start/end images (5s only) or keyframes (5s or
     10s, HDR too). It takes no concept keys: the camera move goes into the prompt, in words.
   - ray-2 or ray-flash-2 (the Dream Machine API): 5s or 9s, up to 4k, and concept keys from list_concepts that
     match the camera move."""


def plan_shot(idea: Idea, aspect_ratio: AspectRatio = "16:9") -> str:
    """Turn an idea into one well-directed shot: pick the model, write a prompt with a camera move, then make it."""
    return f"""Direct one short video shot with Luma for this idea: {idea}

1. {CHOOSE_MODEL}
2. Call list_camera_motions to see the camera vocabulary.
3. Write a prompt of 1-3 sentences: the subject, what it does, the setting, the light, the style, and exactly one
   camera move written as a phrase from list_camera_motions (for example "slow dolly zoom"). On ray-2, also pick at
   most two concept keys that match that move.
4. Show me the model, the prompt, its options (duration, resolution, hdr or concepts), its price from list_models
   and the aspect ratio {aspect_ratio} in a few short lines, then call create_generation with them. If the result
   is not completed yet, call get_generation with wait=true.
5. Give me the video URL and offer to download it with download_generation."""


def storyboard(
    story: Annotated[str, Field(description="The story to tell across the shots.")],
    shots: Annotated[str, Field(description="How many shots, 2 to 5 (each adds about 5 seconds).")] = "3",
    aspect_ratio: AspectRatio = "16:9",
) -> str:
    """Tell a story in consecutive shots: create the first, then extend it forward once per story beat."""
    return f"""Make a continuous video of {shots} shots with Luma that tells this story: {story}

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
        server.prompt(title=title)(prompt)
