"""Where the APIs live on the emulator and how test patterns such as ``/generations/*`` match a request path."""

from __future__ import annotations

API_PREFIX = "/dream-machine/v1"
AGENTS_PREFIX = "/agents/v1"
"""The Agents API; its paths keep this prefix in the request log and in fault patterns."""
ASSETS_PREFIX = "/assets/"
STORAGE_PREFIX = "/storage/"
"""Where the Agents API's presigned URLs point: the emulator's stand-in for S3."""
UNLOGGED_PREFIXES = (ASSETS_PREFIX, STORAGE_PREFIX)
"""Downloads and uploads the CDN or S3 would serve: not API requests, so never logged or faulted."""


def api_path(path: str) -> str:
    """The path relative to the Dream Machine API root (its prefix stripped, as the SDK's base URL would add it);
    other paths, the Agents API's among them, as they are."""
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
