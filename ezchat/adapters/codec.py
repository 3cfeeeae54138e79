"""Entity fields as plain JSON-able values, shared by the SQLite and MongoDB adapters.

Times are stored as fixed-width ISO 8601 UTC strings with microseconds: exact, and sorted the
same as text and as time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ezchat.domain.model import Attachment


def time_out(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_in(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def time_req(value: str) -> datetime:
    out = time_in(value)
    assert out is not None
    return out


def clean_text(value: str) -> str:
    """``value`` with any lone UTF-16 surrogate replaced by U+FFFD. The API refuses them, but
    a database written before that rule may hold some, and no read may fail on them."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def attachments_out(items: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [{"url": a.url, "name": a.name, "mime_type": a.mime_type, "size": a.size} for a in items]


def attachments_in(items: list[dict[str, Any]] | None) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(
            url=clean_text(a["url"]),
            name=clean_text(a["name"]),
            mime_type=clean_text(a["mime_type"]),
            size=a["size"],
        )
        for a in items or []
    )


def reactions_out(reactions: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[Any]]:
    """An ordered list of [emoji, [user ids]]: keeps the order of first use."""
    return [[emoji, list(users)] for emoji, users in reactions]


def reactions_in(items: list[list[Any]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (clean_text(emoji), tuple(clean_text(u) for u in users)) for emoji, users in items or []
    )
