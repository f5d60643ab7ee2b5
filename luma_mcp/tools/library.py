"""Looking at, listing, deleting and downloading the user's generations."""

from collections.abc import Sequence
from typing import Annotated

from mcp.types import CallToolResult, TextContent
from pydantic import Field

from ..accounts import current_caller
from ..context import AppCtx, app_of
from ..errors.wording import agents_cannot_delete
from ..inputs import GenerationId
from ..results import Deleted, Download, GenerationList, GenerationResult
from ..settings import Api
from .arguments import GenerationOutput, Wait
from .call import ToolCall, links


async def get_generation(ctx: AppCtx, generation_id: GenerationId, wait: Wait = False) -> GenerationOutput:
    """Look up a generation's state and its video or image URLs; with wait=true, wait for it to finish."""
    made_it, generation = await current_caller().find(str(generation_id), about_to_wait=wait)
    return await ToolCall(ctx, made_it).finish(generation, wait)


async def list_generations(
    limit: Annotated[int, Field(ge=1, le=100, description="How many, 1 to 100.")] = 10,
    offset: Annotated[int, Field(ge=0, le=100_000, description="How many of the newest to skip.")] = 0,
    api: Annotated[
        Api | None,
        Field(description="Only one API's: dream-machine (from Luma) or agents (those this server started)."),
    ] = None,
) -> GenerationList:
    """List the user's generations, newest first, each with the API that made it.

    Dream Machine generations come from Luma; the Agents API cannot list, so its generations are those this server
    started (kept in its ledger)."""
    found, more = await current_caller().recent(limit=limit, offset=offset, api=api)
    generations = [GenerationResult.of(generation) for generation in found]
    return GenerationList(generations=generations, count=len(generations), limit=limit, offset=offset, has_more=more)


async def delete_generation(
    generation_id: GenerationId,
    forget: Annotated[
        bool, Field(description="For an Agents API generation, which Luma cannot delete: remove it from this list.")
    ] = False,
) -> Deleted:
    """Delete a generation and its video from the user's Luma account. This cannot be undone.

    The Agents API offers no delete: forget=true removes one of its generations from this server's list instead."""
    made_it = await current_caller().account_that_made(str(generation_id))
    if made_it.api == "agents":
        if not forget:
            raise agents_cannot_delete(str(generation_id))
        return Deleted(id=str(generation_id), deleted=False, forgotten=await made_it.forget(str(generation_id)))
    await made_it.delete(str(generation_id))
    return Deleted(id=str(generation_id))


async def download_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    directory: Annotated[
        str | None,
        Field(max_length=255, description="Optional sub-folder of the output folder; relative, no '..'."),
    ] = None,
) -> Annotated[CallToolResult, Download]:
    """Save a completed generation's video, image or layers into the output folder; returns the paths.

    A video is saved as its MP4 and thumbnail (JPEG); a split image as every layer, named by index and label.

    A download that takes longer than this call may goes on in the background: the result then says
    status=in_progress, and calling again with the same arguments reports it saved."""
    downloader = app_of(ctx).downloader
    target = downloader.target_directory(directory)
    made_it, generation = await current_caller().find(str(generation_id))
    files = await downloader.save(generation, target)
    video_path = str(files.video) if files.video else None
    image_paths = [str(path) for path in files.images]
    if files.total_bytes is None:
        landing = video_path or ", ".join(image_paths)
        return await _with_links(
            ctx,
            Download(
                id=str(generation_id),
                status="in_progress",
                video_path=video_path,
                image_paths=image_paths,
                next_step=(
                    f"Still downloading in the background to {landing}. Call download_generation again with the same "
                    "arguments in a minute to learn when it is saved; do not create it again."
                ),
            ),
        )
    saved = [path for path in (video_path, str(files.thumbnail) if files.thumbnail else None) if path] + image_paths
    await made_it.downloaded(str(generation_id), saved)
    download = Download(
        id=str(generation_id),
        status="saved",
        video_path=video_path,
        thumbnail_path=str(files.thumbnail) if files.thumbnail else None,
        video_bytes=files.video_bytes,
        image_paths=image_paths,
        total_bytes=files.total_bytes,
    )
    return await _with_links(ctx, download, saved)


async def _with_links(ctx: AppCtx, download: Download, saved: Sequence[str] = ()) -> CallToolResult:
    """The download as JSON, with links to the generation and to every file saved (none while still downloading)."""
    return CallToolResult(
        content=[
            TextContent(type="text", text=download.model_dump_json(indent=2)),
            *await links(ctx, download.id, saved),
        ],
        structured_content=download.model_dump(mode="json"),
    )
