"""Image and video arguments: what a user names (an https URL, the id of a generation of ours, and soon a local
file) turned into the reference an Agents API job takes. One place, so every tool that takes media takes the same
three forms with the same checks."""

from typing import Literal

from ..agents_wire import ImageRef
from ..errors.wording import agents_needs_https
from ..models import is_generation_id

MediaKind = Literal["image", "video"]


async def agents_media(value: str, argument: str, kind: MediaKind = "image") -> ImageRef:
    """`value` of the tool argument named `argument`, as an Agents API media reference to an image or a video
    (`kind`: what a local file must be)."""
    if is_generation_id(value):
        return ImageRef(generation_id=value)
    if value.startswith("https://"):
        return ImageRef(url=value)
    raise agents_needs_https(argument, value)
