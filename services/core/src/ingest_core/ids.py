"""Identifiers: ULIDs everywhere, so ids sort by creation time."""

from __future__ import annotations

from ulid import ULID


def new_id() -> str:
    return str(ULID())


def is_id(value: str) -> bool:
    try:
        ULID.from_str(value)
    except ValueError:
        return False
    return True


def ulid_ms(value: str) -> int:
    """The millisecond a ULID was made (its first 48 bits)."""
    return ULID.from_str(value).milliseconds
