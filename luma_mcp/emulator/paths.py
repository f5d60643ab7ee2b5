"""Where the API lives on the emulator and how test patterns such as ``/generations/*`` match a request path."""

from __future__ import annotations

API_PREFIX = "/dream-machine/v1"
ASSETS_PREFIX = "/assets/"


def api_path(path: str) -> str:
    """The path relative to the API root: Luma's prefix stripped, as the SDK's base URL would add it."""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return path[len(API_PREFIX) :] or "/"
    return path


def path_matches(pattern: str | None, path: str) -> bool:
    """``None`` matches any path, ``"/a/*"`` any path starting ``"/a/"``, anything else only itself."""
    if pattern is None:
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern
