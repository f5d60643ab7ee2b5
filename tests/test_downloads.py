"""`Downloader` on its own, against the emulator's real asset URLs: limits that protect the user's disk."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from luma_mcp import APIResponseError, Generation, InvalidRequestError, LumaError
from luma_mcp.downloads import Downloader
from luma_mcp.emulator import Emulator
from luma_mcp.emulator.runner import serving

pytestmark = pytest.mark.anyio


async def finished_generation(emulator: Emulator) -> Generation:
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.api_key}"}) as http:
        created = (
            await http.post(f"{emulator.base_url}/generations", json={"model": "ray-2", "prompt": "a cat"})
        ).json()
        emulator.finish_now(created["id"])
        return Generation.model_validate((await http.get(f"{emulator.base_url}/generations/{created['id']}")).json())


async def test_a_video_over_the_size_limit_is_refused_and_leaves_nothing(emulator: Emulator, tmp_path: Path) -> None:
    async with Downloader(tmp_path, max_bytes=1000) as downloader:
        with pytest.raises(LumaError, match="limit"):
            await downloader.save(await finished_generation(emulator), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/video.mp4",
        "javascript:alert(1)",
        "http://[::1/video.mp4",
        "http://cdn\x7f.example/video.mp4",
    ],
)
async def test_asset_urls_other_than_http_are_never_fetched(emulator: Emulator, tmp_path: Path, url: str) -> None:
    generation = await finished_generation(emulator)
    assert generation.assets is not None
    generation.assets.video = url
    async with Downloader(tmp_path) as downloader:
        with pytest.raises(InvalidRequestError, match="only valid http"):
            await downloader.save(generation, tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_the_file_name_comes_only_from_a_uuid(emulator: Emulator, tmp_path: Path) -> None:
    """Defence in depth: even a generation whose id is a path, handed straight to the downloader, writes nothing."""
    generation = await finished_generation(emulator)
    generation.id = "../../ESCAPED"
    output = tmp_path / "a" / "b"
    output.mkdir(parents=True)
    async with Downloader(output) as downloader:
        with pytest.raises(APIResponseError, match="not a UUID"):
            await downloader.save(generation, output)
    assert [file for file in tmp_path.rglob("*") if file.is_file()] == []


async def test_nothing_but_a_plain_get_goes_to_the_asset_host(emulator: Emulator, tmp_path: Path) -> None:
    """Asset URLs lead off the API (Luma's CDN): no Authorization header may follow them there."""
    seen: list[dict[str, str]] = []

    async def cdn(request: Request) -> Response:
        seen.append(dict(request.headers))
        return Response(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, media_type="video/mp4")

    generation = await finished_generation(emulator)
    assert generation.assets is not None
    async with serving(Starlette(routes=[Route("/{name}", cdn)])) as origin:
        generation.assets.video = f"{origin}/video.mp4"
        generation.assets.image = f"{origin}/thumb.jpg"
        async with Downloader(tmp_path) as downloader:
            saved = await downloader.save(generation, tmp_path)
    assert saved.video_bytes == 112 and len(seen) == 2
    assert all("authorization" not in headers for headers in seen)


async def test_a_missing_thumbnail_does_not_fail_the_download(emulator: Emulator, tmp_path: Path) -> None:
    generation = await finished_generation(emulator)
    assert generation.assets is not None and generation.assets.image is not None
    generation.assets.image = generation.assets.image.replace("/thumb.jpg", "/missing.jpg")
    async with Downloader(tmp_path) as downloader:
        saved = await downloader.save(generation, tmp_path)
    assert saved.thumbnail is None and saved.video is not None
    assert saved.video.read_bytes()[4:8] == b"ftyp"
