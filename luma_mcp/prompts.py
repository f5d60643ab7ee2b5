"""MCP prompts: ready-made requests a person can pick in their client to direct a video with our tools.

Prompt arguments arrive as strings on the wire, so every parameter here is a string.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field

Idea = Annotated[str, Field(description="What the video should show, in a few words or a paragraph.")]
AspectRatio = Annotated[str, Field(description="16:9 (landscape), 9:16 (vertical), 1:1, 4:3, 3:4, 21:9 or 9:21.")]


def plan_shot(idea: Idea, aspect_ratio: AspectRatio = "16:9") -> str:
    """Turn an idea into one well-directed shot: a Luma prompt with a camera move and concept keys, then make it."""
    return f"""Direct one short video shot with Luma Dream Machine for this idea: {idea}

1. Call list_concepts and list_camera_motions to see the camera vocabulary.
2. Write a prompt of 1-3 sentences: the subject, what it does, the setting, the light, the style, and exactly one
   camera move written as a phrase from list_camera_motions (for example "slow dolly zoom").
3. Pick at most two concept keys that match that camera move.
4. Show me the prompt, the concepts and the aspect ratio {aspect_ratio} in three short lines, then call
   create_generation with them. If the result is not completed yet, call get_generation with wait=true.
5. Give me the video URL and offer to download it with download_generation."""


def storyboard(
    story: Annotated[str, Field(description="The story to tell across the shots.")],
    shots: Annotated[str, Field(description="How many shots, 2 to 5 (each adds about 5 seconds).")] = "3",
    aspect_ratio: AspectRatio = "16:9",
) -> str:
    """Tell a story in consecutive shots: create the first, then extend it forward once per story beat."""
    return f"""Make a continuous video of {shots} shots with Luma Dream Machine that tells this story: {story}

1. Split the story into {shots} beats and write one prompt per beat (subject, action, setting, light, one camera
   move phrase). Keep the characters, place and style the same in every prompt so the shots join up.
2. Show me the beats as a numbered list before making anything; every shot costs credits.
3. Shot 1: call create_generation with the first prompt and aspect_ratio {aspect_ratio}.
4. Each next shot: call extend_generation with generation_id set to the previous shot's id, direction "forward",
   and that beat's prompt. A shot must be completed before it can be extended: if a call returns before the
   video is done, call get_generation with wait=true first.
5. Finish with download_generation on the last shot, and list every shot's video URL."""


PROMPTS: tuple[tuple[Any, str], ...] = ((plan_shot, "Plan a shot"), (storyboard, "Storyboard a sequence"))


def register_prompts(server: MCPServer[Any]) -> None:
    for prompt, title in PROMPTS:
        server.prompt(title=title)(prompt)
