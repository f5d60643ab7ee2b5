"""Reading a request body and its fields, with the refusal that names the field and what it may be.

Luma's wording for these refusals is not recorded except for choices, which follow its aspect-ratio message; the
rest are inferred.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from luma_mcp.emulator.agents.errors import InvalidParameter


def json_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidParameter(f"{path} must be a JSON object")  # inferred
    return value


def optional_object(fields: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    """The object under ``name``, or an empty one when it is absent or null."""
    value = fields.get(name)
    return {} if value is None else json_object(value, path)


def choice(fields: dict[str, Any], name: str, allowed: Sequence[str], path: str) -> str | None:
    """The value if it is one of ``allowed``; Luma's wording, as for aspect ratios (listed in the order given)."""
    value = fields.get(name)
    if value is not None and value not in allowed:
        raise InvalidParameter(f"Invalid {path} '{value}'. Valid: {', '.join(allowed)}")
    return value


def string(fields: dict[str, Any], name: str, path: str, *, max_length: int | None = None) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidParameter(f"{path} must be a string")  # inferred
    if value is not None and max_length is not None and len(value) > max_length:
        raise InvalidParameter(f"{path} must be at most {max_length} characters")  # inferred
    return value


def flag(fields: dict[str, Any], name: str, path: str) -> bool:
    """A boolean that is false when absent or null."""
    value = fields.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidParameter(f"{path} must be true or false")  # inferred
    return bool(value)


def number(fields: dict[str, Any], name: str, path: str, *, low: float, high: float) -> float | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidParameter(f"{path} must be a number from {low:g} to {high:g}")  # inferred
    return float(value)


def listed(fields: dict[str, Any], name: str, path: str) -> list[Any] | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, list):
        raise InvalidParameter(f"{path} must be a list")  # inferred
    return value
