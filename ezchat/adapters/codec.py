"""Entity fields as plain JSON-able values and entities from stored fields, shared by the
SQLite and MongoDB adapters.

Times are stored as fixed-width ISO 8601 UTC strings with microseconds: exact, and sorted the
same as text and as time."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any, Protocol

from ezchat.domain.access import Revocation
from ezchat.domain.files import StoredFile
from ezchat.domain.messages import (
    Attachment,
    Forward,
    LinkPreview,
    Message,
    ThreadSummary,
    Version,
)
from ezchat.domain.model import (
    Conversation,
    ConversationType,
    Member,
    NotifyLevel,
    Presence,
    Role,
    User,
)
from ezchat.domain.outbox import Notification, OutboxState, PushSubscription


def time_out(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_in(value: str | None) -> datetime | None:
    if value is None:
        return None
    # fromisoformat (3.11 reads the "Z") is about 20x faster than strptime: every stored
    # timestamp of every row read goes through here.
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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


def attachment_out(a: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {"url": a.url, "name": a.name, "mime_type": a.mime_type, "size": a.size}
    if a.file_id is not None:
        out.update(file_id=a.file_id, width=a.width, height=a.height, thumbnail=a.thumbnail)
    return out


def attachments_out(items: tuple[Attachment, ...]) -> list[dict[str, Any]]:
    return [attachment_out(a) for a in items]


def attachments_in(items: list[dict[str, Any]] | None) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(
            url=clean_text(a["url"]),
            name=clean_text(a["name"]),
            mime_type=clean_text(a["mime_type"]),
            size=a["size"],
            file_id=a.get("file_id"),
            width=a.get("width"),
            height=a.get("height"),
            thumbnail=bool(a.get("thumbnail", False)),
        )
        for a in items or []
    )


def file_in(d: Stored, file_id: str) -> StoredFile:
    return StoredFile(
        id=file_id,
        owner_id=d["owner_id"],
        name=clean_text(d["name"]),
        mime_type=d["mime_type"],
        size=int(d["size"]),
        sha256=d["sha256"],
        created_at=time_req(d["created_at"]),
        width=_opt(d, "width"),
        height=_opt(d, "height"),
        thumbnail_type=_opt(d, "thumbnail_type"),
        thumbnail_size=int(_opt(d, "thumbnail_size", 0) or 0),
        attached_at=_opt(d, "attached_at"),
    )


def reactions_out(reactions: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[Any]]:
    """An ordered list of [emoji, [user ids]]: keeps the order of first use."""
    return [[emoji, list(users)] for emoji, users in reactions]


def reactions_in(items: list[list[Any]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (clean_text(emoji), tuple(clean_text(u) for u in users)) for emoji, users in items or []
    )


# -- entities from stored fields -------------------------------------------------------------
# A SQLite row and a MongoDB document name their fields alike; these read either. JSON columns
# (SQLite) arrive as text, the same fields of a document as lists. Fields an older document may
# lack read as their defaults.


class Stored(Protocol):
    """A sqlite3.Row or a document (dict)."""

    def __getitem__(self, key: str) -> Any: ...

    def keys(self) -> Any: ...


def _opt(d: Stored, key: str, default: Any = None) -> Any:
    # Not "key in d": for a sqlite3.Row that looks among the values.
    return d[key] if key in d.keys() else default  # noqa: SIM118


def _listed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def user_in(d: Stored, user_id: str) -> User:
    return User(
        id=user_id,
        username=d["username"],
        display_name=d["display_name"],
        avatar_url=_opt(d, "avatar_url"),
        status=Presence(_opt(d, "status", "offline")),
        last_seen=time_in(_opt(d, "last_seen")),
        created_at=time_req(d["created_at"]),
        disabled=bool(_opt(d, "disabled", False)),
        sessions_after=float(_opt(d, "sessions_after", 0.0) or 0.0),
        session_kept=_opt(d, "session_kept"),
        external_id=_opt(d, "external_id"),
        bot=bool(_opt(d, "bot", False)),
        admin=bool(_opt(d, "admin", False)),
        deleted_at=_opt(d, "deleted_at"),
    )


def revocation_in(d: Stored, revocation_id: str) -> Revocation:
    return Revocation(
        id=revocation_id,
        user_id=d["user_id"],
        at=float(d["at"]),
        expires_at=float(d["expires_at"]),
        token_id=_opt(d, "token_id"),
        kept=_opt(d, "kept"),
    )


def member_in(d: Stored) -> Member:
    return Member(
        user_id=d["user_id"],
        role=Role(d["role"]),
        joined_at=time_req(d["joined_at"]),
        read_seq=_opt(d, "read_seq", 0),
        delivered_seq=_opt(d, "delivered_seq", 0),
        pinned=bool(_opt(d, "pinned")),
        muted=bool(_opt(d, "muted")),
        notify=NotifyLevel(level) if (level := _opt(d, "notify")) else None,
    )


def conversation_in(d: Stored, conversation_id: str, members: list[Member]) -> Conversation:
    return Conversation(
        id=conversation_id,
        type=ConversationType(d["type"]),
        name=_opt(d, "name"),
        description=_opt(d, "description"),
        avatar_url=_opt(d, "avatar_url"),
        created_by=d["created_by"],
        created_at=time_req(d["created_at"]),
        last_seq=_opt(d, "last_seq", 0),
        rev=_opt(d, "rev", 0),
        last_activity=time_in(_opt(d, "last_activity")),
        direct_key=_opt(d, "direct_key"),
        members=tuple(members),
        members_can_pin=bool(_opt(d, "members_can_pin", False)),
        pin_count=_opt(d, "pin_count", 0) or 0,
        retention_days=_opt(d, "retention_days"),
    )


def message_in(d: Stored, message_id: str) -> Message:
    return Message(
        id=message_id,
        conversation_id=d["conversation_id"],
        seq=d["seq"],
        rev=d["rev"],
        client_id=d["client_id"],
        sender_id=d["sender_id"],
        text=d["text"],
        attachments=attachments_in(_listed(_opt(d, "attachments"))),
        reply_to=_opt(d, "reply_to"),
        reactions=reactions_in(_listed(_opt(d, "reactions"))),
        created_at=time_req(d["created_at"]),
        edited_at=time_in(_opt(d, "edited_at")),
        deleted=bool(_opt(d, "deleted")),
        mentions=tuple(_listed(_opt(d, "mentions")) or ()),
        forwarded_from=forward_in(_listed(_opt(d, "forwarded_from"))),
        thread_root=_opt(d, "thread_root"),
        thread=thread_in(_listed(_opt(d, "thread"))),
        pinned_at=time_in(_opt(d, "pinned_at")),
        pinned_by=_opt(d, "pinned_by"),
        previews=tuple(LinkPreview(**p) for p in _listed(_opt(d, "previews")) or ()),
    )


def previews_out(items: tuple[LinkPreview, ...]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(p) for p in items]


def thread_out(t: ThreadSummary | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "reply_count": t.reply_count,
        "last_reply_at": time_out(t.last_reply_at),
        "participants": list(t.participants),
    }


def thread_in(d: dict[str, Any] | None) -> ThreadSummary | None:
    if not d:
        return None
    return ThreadSummary(
        reply_count=d["reply_count"],
        last_reply_at=time_in(d.get("last_reply_at")),
        participants=tuple(d.get("participants") or ()),
    )


def forward_out(f: Forward | None) -> dict[str, str] | None:
    return None if f is None else dataclasses.asdict(f)


def forward_in(d: dict[str, str] | None) -> Forward | None:
    if not d:
        return None
    return Forward(d["conversation_id"], d["message_id"], d["sender_id"])


def version_out(v: Version) -> dict[str, Any]:
    return {"text": v.text, "edited_at": time_out(v.edited_at)}


def version_in(d: Stored) -> Version:
    return Version(text=d["text"], edited_at=time_in(_opt(d, "edited_at")))


def notification_in(d: Stored, notification_id: str) -> Notification:
    return Notification(
        id=notification_id,
        user_id=d["user_id"],
        conversation_id=d["conversation_id"],
        first_seq=d["first_seq"],
        last_seq=d["last_seq"],
        count=d["count"],
        state=OutboxState(d["state"]),
        next_at=d["next_at"],
        created_at=d["created_at"],
        attempts=_opt(d, "attempts", 0),
        lease_until=_opt(d, "lease_until", 0.0),
        lease_token=_opt(d, "lease_token"),
        done=tuple(_listed(_opt(d, "done")) or ()),
        last_error=_opt(d, "last_error"),
    )


def push_subscription_in(d: Stored, endpoint: str) -> PushSubscription:
    return PushSubscription(
        endpoint=endpoint,
        user_id=d["user_id"],
        p256dh=d["p256dh"],
        auth=d["auth"],
        created_at=time_req(d["created_at"]),
        token_id=_opt(d, "token_id"),
        issued_at=float(_opt(d, "issued_at") or 0.0),
    )
