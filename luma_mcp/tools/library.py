"""Looking at, listing, deleting and downloading the user's generations."""

from typing import Annotated

from pydantic import Field

from ..accounts import current_caller
from ..context import AppCtx, app_of
from ..inputs import GenerationId
from ..results import Deleted, Download, GenerationList, GenerationResult
from .arguments import GenerationOutput, Wait
from .call import ToolCall, account, luma


async def get_generation(ctx: AppCtx, generation_id: GenerationId, wait: Wait = False) -> GenerationOutput:
    """Look up a generation's state and video URL; with wait=true, wait for it to finish (with progress)."""
    call = ToolCall(ctx, await current_caller().account_that_made(str(generation_id)))
    return await call.finish(await call.account.look(str(generation_id), about_to_wait=wait), wait)


async def list_generations(
    limit: Annotated[int, Field(ge=1, le=100, description="How many, 1 to 100.")] = 10,
    offset: Annotated[int, Field(ge=0, le=100_000, description="How many of the newest to skip.")] = 0,
) -> GenerationList:
    """List the user's generations, newest first."""
    page = await luma().list_generations(limit=limit, offset=offset)
    generations = [GenerationResult.of(generation) for generation in page.generations]
    return GenerationList(
        generations=generations,
        count=len(generations),
        limit=limit,
        offset=offset,
        has_more=page.has_more if page.has_more is not None else len(generations) == limit,
    )


async def delete_generation(generation_id: GenerationId) -> Deleted:
    """Delete a generation and its video from the user's Luma account. This cannot be undone."""
    await account().delete(str(generation_id))
    return Deleted(id=str(generation_id))


async def download_generation(
    ctx: AppCtx,
    generation_id: GenerationId,
    directory: Annotated[
        str | None,
        Field(max_length=255, description="Optional sub-folder of the output folder; relative, no '..'."),
    ] = None,
) -> Download:
    """Save a completed generation's video (MP4) and thumbnail (JPEG) into the output folder; returns the paths.

    A download that takes longer than this call may goes on in the background: the result then says
    status=in_progress, and calling again with the same arguments reports it saved."""
    downloader = app_of(ctx).downloader
    target = downloader.target_directory(directory)
    made_it = await current_caller().account_that_made(str(generation_id))
    files = await downloader.save(await made_it.look(str(generation_id)), target)
    if files.video_bytes is None:
        return Download(
            id=str(generation_id),
            status="in_progress",
            video_path=str(files.video),
            next_step=(
                f"The video is still downloading in the background to {files.video}. Call download_generation "
                "again with the same arguments in a minute to learn when it is saved; do not create it again."
            ),
        )
    await made_it.downloaded(str(generation_id), [str(path) for path in (files.video, files.thumbnail) if path])
    return Download(
        id=str(generation_id),
        status="saved",
        video_path=str(files.video),
        thumbnail_path=str(files.thumbnail) if files.thumbnail else None,
        video_bytes=files.video_bytes,
    )
