"""Reading the caller's key from ``Authorization: Bearer <key>``."""

from __future__ import annotations


def bearer_token(authorization: str | None) -> str | None:
    """The key presented, or ``None`` when the header is missing or not a bearer credential."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
