"""The Agents API's refusals: ``{"detail": "..."}`` with the status that tells a client what kind of problem it is.

400 a bad parameter, 402 no balance left, 413 media too large, 422 parameters that conflict or media that cannot be
read (luma-agents-api.md §8). They are ``HTTPException``s, so the app's one error handler answers them all.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException


class Refusal(HTTPException):
    status = 400

    def __init__(self, detail: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(self.status, detail, headers)


class InvalidParameter(Refusal):
    status = 400


class InsufficientBalance(Refusal):
    status = 402


class MediaTooLarge(Refusal):
    status = 413


class Unprocessable(Refusal):
    """Parameters that are each valid but not together, or media data that cannot be decoded."""

    status = 422
