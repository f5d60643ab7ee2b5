"""The MCP tools, by family: `video` makes and changes videos (paid), `edit` edits and reframes existing videos and
images (paid), `image` makes, edits and splits images (paid), `library` looks at, lists, deletes and downloads
generations, `catalogs` lists the models and the camera vocabulary, `account` shows the credit balance. Each signature
is the tool's input schema and each docstring its description, written for the model that calls them; `call` holds
what every call shares.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server import MCPServer
from mcp.types import Icon, ToolAnnotations

from ..context import AppContext
from ..icons import DOWNLOAD_ICON, IMAGE_ICON, VIDEO_ICON
from ..player import PLAYER_META
from .account import get_credits
from .catalogs import list_camera_motions, list_concepts, list_models
from .edit import edit_video, reframe_image, reframe_video
from .image import edit_image, generate_image, split_image_layers
from .library import delete_generation, download_generation, get_generation, list_generations
from .video import add_audio, create_generation, extend_generation, upscale_generation

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=True)
PAID = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)
LOCAL_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

TOOLS: tuple[tuple[Callable[..., Awaitable[Any]], str, ToolAnnotations, Icon | None], ...] = (
    (create_generation, "Create a video", PAID, VIDEO_ICON),
    (extend_generation, "Extend a video", PAID, VIDEO_ICON),
    (edit_video, "Edit a video", PAID, VIDEO_ICON),
    (reframe_video, "Reframe a video", PAID, VIDEO_ICON),
    (reframe_image, "Reframe an image", PAID, IMAGE_ICON),
    (generate_image, "Generate an image", PAID, IMAGE_ICON),
    (edit_image, "Edit an image", PAID, IMAGE_ICON),
    (split_image_layers, "Split an image into layers", PAID, IMAGE_ICON),
    (get_generation, "Get a generation", READ_ONLY, None),
    (list_generations, "List generations", READ_ONLY, None),
    (delete_generation, "Delete a generation", DESTRUCTIVE, None),
    (list_models, "List Luma's models", READ_ONLY, None),
    (list_concepts, "List camera concepts", READ_ONLY, None),
    (list_camera_motions, "List camera motions", READ_ONLY, None),
    (download_generation, "Download a generation", LOCAL_WRITE, DOWNLOAD_ICON),
    (upscale_generation, "Upscale a video", PAID, VIDEO_ICON),
    (add_audio, "Add audio to a video", PAID, VIDEO_ICON),
    (get_credits, "Get credit balance", READ_ONLY, None),
)
"""Each tool with its title, its hints, and its icon: what it makes (a video, an image, a file on disk), for the
tools a person sees asking to spend money or write a file (see `luma_mcp.icons`)."""


PAID_TOOLS = frozenset(tool.__name__ for tool, _, hints, _ in TOOLS if hints is PAID)


COST_NOTE = "Each result carries estimated_cost_usd (by the price tables in list_models)."
"""Told in every paid tool's description, here rather than in each docstring, so a new paid tool tells it too."""


SHOWN_IN_PLAYER = PAID_TOOLS | {get_generation.__name__}
"""The tools that start or look at one generation: their results open the inline player (`luma_mcp.player`)."""


def register_tools(server: MCPServer[AppContext]) -> None:
    for tool, title, hints, icon in TOOLS:
        description = f"{(tool.__doc__ or '').rstrip()}\n\n{COST_NOTE}" if hints is PAID else None
        meta = PLAYER_META if tool.__name__ in SHOWN_IN_PLAYER else None
        icons = [icon] if icon else None
        server.add_tool(tool, title=title, description=description, annotations=hints, icons=icons, meta=meta)
