"""Value rules of the domain. Each check raises ``InvalidRequest`` naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.messages import Attachment

USERNAME_RE = re.compile(r"[a-z0-9_.\-]{3,32}")
MAX_URL_LENGTH = 2048
MAX_ATTACHMENTS = 10
# The largest page of messages a client may ask for (REST, sync), and so what the newest-page
# cache holds per conversation.
MAX_PAGE = 100
# Different emoji on one message: each change sends the whole message to every member.
MAX_REACTIONS = 50
MAX_PINS = 50  # pinned messages per conversation


@dataclass(frozen=True)
class Limits:
    """Limits of the contract that depend on configuration."""

    max_message_length: int = 4000
    max_group_members: int = 1000
    large_group_members: int = 100  # Conversation.is_large


def username(value: str) -> str:
    name = value.lower()
    if not USERNAME_RE.fullmatch(name):
        raise InvalidRequest(
            "username must be 3-32 characters of a-z, 0-9, '_', '.' or '-'", field="username"
        )
    return name


def password(value: str) -> str:
    if not 8 <= len(value) <= 128:
        raise InvalidRequest("password must be 8-128 characters", field="password")
    return value


def text_field(value: str, field: str, *, min_len: int, max_len: int) -> str:
    """A trimmed single-value text such as a name; counts characters, not bytes."""
    text = value.strip()
    if not min_len <= len(text) <= max_len:
        raise InvalidRequest(f"{field} must be {min_len}-{max_len} characters", field=field)
    return text


def optional_text(value: str | None, field: str, *, max_len: int) -> str | None:
    """None or blank clears the value."""
    if value is None or not value.strip():
        return None
    return text_field(value, field, min_len=1, max_len=max_len)


MAX_RETENTION_DAYS = 36500


def retention_days(value: int | None) -> int | None:
    """A group's own retention: whole days from 1 to 36500, or None (the server's)."""
    if value is not None and not 1 <= value <= MAX_RETENTION_DAYS:
        raise InvalidRequest(
            f"retention_days must be from 1 to {MAX_RETENTION_DAYS}, or null",
            field="retention_days",
        )
    return value


def url(value: str | None, field: str) -> str | None:
    """An http or https URL; None or empty clears the value."""
    if value is None or value == "":
        return None
    if len(value) > MAX_URL_LENGTH:
        raise InvalidRequest(f"{field} must be at most {MAX_URL_LENGTH} characters", field=field)
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequest(f"{field} must be an http or https URL", field=field)
    return value


def message_text(value: str, *, limits: Limits, has_attachments: bool) -> str:
    """Message text is kept as written; whitespace-only counts as empty."""
    if len(value) > limits.max_message_length:
        raise InvalidRequest(
            f"text must be at most {limits.max_message_length} characters", field="text"
        )
    if not value.strip():
        if has_attachments:
            return ""
        raise InvalidRequest("text must not be empty", field="text")
    return value


def client_id(value: str) -> str:
    if not 1 <= len(value) <= 64:
        raise InvalidRequest("client_id must be 1-64 characters", field="client_id")
    return value


def emoji(value: str) -> str:
    if not 1 <= len(value) <= 32 or not value.strip() or any(c in value for c in "\r\n\t"):
        raise InvalidRequest("emoji must be 1-32 characters", field="emoji")
    return value


def attachments(items: list[Attachment]) -> tuple[Attachment, ...]:
    if len(items) > MAX_ATTACHMENTS:
        raise InvalidRequest(
            f"attachments must hold at most {MAX_ATTACHMENTS} items", field="attachments"
        )
    for i, a in enumerate(items):
        where = f"attachments[{i}]"
        if a.file_id is not None:
            if not a.file_id or len(a.file_id) > 64:
                raise InvalidRequest(f"{where}.file_id names no file", field=f"{where}.file_id")
            continue  # an upload: the file service fills it in
        url(a.url, f"{where}.url")
        if not a.url:
            raise InvalidRequest(f"{where}.url is required", field=f"{where}.url")
        text_field(a.name, f"{where}.name", min_len=1, max_len=255)
        if not re.fullmatch(r"[\w.+\-]+/[\w.+\-]+", a.mime_type) or len(a.mime_type) > 255:
            raise InvalidRequest(
                f"{where}.mime_type must look like type/subtype", field=f"{where}.mime_type"
            )
        if a.size < 0:
            raise InvalidRequest(f"{where}.size must not be negative", field=f"{where}.size")
    return tuple(items)
