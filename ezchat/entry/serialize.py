"""Domain objects as the contract's JSON shapes."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from ezchat.domain.files import StoredFile, file_path, thumbnail_path
from ezchat.domain.messages import Attachment, Message, Receipt, ThreadSummary
from ezchat.domain.model import Contact, Conversation, Member, User
from ezchat.domain.notify import level_of
from ezchat.domain.outbox import PushSubscription
from ezchat.domain.scheduled import Scheduled
from ezchat.services.conversations import ConversationView


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds, e.g. 2026-11-27T12:00:00.123Z."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iso_epoch(seconds: float) -> str | None:
    return iso(datetime.fromtimestamp(seconds, UTC))


def dumps(obj: Any) -> str:
    """Compact JSON text that always encodes as UTF-8: the edge refuses lone surrogates, and
    should one come from a store anyway it goes out escaped (``\\ud800``) instead of failing
    the answer."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(obj, separators=(",", ":"))
    return text


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "avatar_url": u.avatar_url,
        "status": u.status.value,
        "last_seen": iso(u.last_seen),
        "created_at": iso(u.created_at),
        "external_id": u.external_id,
        "bot": u.bot,
    }


def me(u: User) -> dict[str, Any]:
    """The user as they see themselves: with their server ``role``."""
    return {**user(u), "role": "admin" if u.admin else "user"}


def admin_user(u: User) -> dict[str, Any]:
    """An account as a server admin sees it."""
    return {**me(u), "disabled": u.disabled, "deleted": u.deleted_at is not None}


def member(m: Member) -> dict[str, Any]:
    return {"user_id": m.user_id, "role": m.role.value, "joined_at": iso(m.joined_at)}


def attachment(a: Attachment) -> dict[str, Any]:
    """A link as given; an upload with its file's fields (its paths are signed for each
    reader on the way out: entry/filelinks.py)."""
    if a.file_id is None:
        return {"url": a.url, "name": a.name, "mime_type": a.mime_type, "size": a.size}
    out: dict[str, Any] = {
        "file_id": a.file_id,
        "url": file_path(a.file_id),
        "name": a.name,
        "mime_type": a.mime_type,
        "size": a.size,
    }
    return _image(out, a.file_id, a.width, a.height, a.thumbnail)


def _image(
    out: dict[str, Any], file_id: str, width: int | None, height: int | None, thumb: bool
) -> dict[str, Any]:
    """An image's dimensions and thumbnail, on a File or an Attachment alike."""
    if width is not None:
        out.update(width=width, height=height)
    if thumb:
        out["thumbnail_url"] = thumbnail_path(file_id)
    return out


def stored_file(f: StoredFile) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "name": f.name,
        "mime_type": f.mime_type,
        "size": f.size,
        "sha256": f.sha256,
        "created_at": iso(f.created_at),
        "url": file_path(f.id),
    }
    return _image(out, f.id, f.width, f.height, bool(f.thumbnail_type))


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "rev": m.rev,
        "client_id": m.client_id,
        "sender_id": m.sender_id,
        "text": m.text,
        "attachments": [attachment(a) for a in m.attachments],
        "reply_to": m.reply_to,
        "reactions": m.reactions_dict(),
        "created_at": iso(m.created_at),
        "edited_at": iso(m.edited_at),
        "deleted": m.deleted,
        "mentions": list(m.mentions),
        "forwarded_from": dataclasses.asdict(m.forwarded_from) if m.forwarded_from else None,
        "thread_root": m.thread_root,
        "thread": None if m.thread_root else thread(m.thread or NO_REPLIES),
        "pinned": m.pinned_at is not None,
        "pinned_at": iso(m.pinned_at),
        "pinned_by": m.pinned_by,
        "previews": [dataclasses.asdict(p) for p in m.previews],
    }


NO_REPLIES = ThreadSummary()


def thread(t: ThreadSummary) -> dict[str, Any]:
    return {
        "reply_count": t.reply_count,
        "last_reply_at": iso(t.last_reply_at),
        "participants": list(t.participants),
    }


def scheduled(s: Scheduled) -> dict[str, Any]:
    """A scheduled message as its sender sees it."""
    return {
        "id": s.id,
        "conversation_id": s.conversation_id,
        "client_id": s.client_id,
        "text": s.text,
        "attachments": [
            {"file_id": a.file_id} if a.file_id else attachment(a) for a in s.attachments
        ],
        "reply_to": s.reply_to,
        "send_at": iso(s.send_at),
        "created_at": iso(s.created_at),
        "state": s.state.value,
        "error": s.error,
    }


class MessageJson:
    """Messages' JSON text, memoised: one per app (its handlers, fast lane and hub share it).

    A message never changes without a new rev, so its id and rev name its text: history pages
    and fan-out frames are joined from these instead of serializing again. Keyed by (id, rev),
    not by the message: hashing and comparing whole messages was 10% of a cached page read.
    The oldest entries go first when full."""

    def __init__(self, size: int = 20_000) -> None:
        self._texts: dict[tuple[str, int], str] = {}
        self._size = size

    def text(self, m: Message) -> str:
        key = (m.id, m.rev)
        texts = self._texts
        found = texts.get(key)
        if found is None:
            found = dumps(message(m))
            if len(texts) >= self._size:
                del texts[next(iter(texts))]
            texts[key] = found
        return found

    def array(self, messages: list[Message]) -> str:
        """A JSON array of messages, joined from their memoised text."""
        return f"[{','.join(self.text(m) for m in messages)}]"

    def page(self, messages: list[Message], has_more: bool) -> str:
        more = "true" if has_more else "false"
        return f'{{"messages":{self.array(messages)},"has_more":{more}}}'


def conversation_base(c: Conversation) -> dict[str, Any]:
    """The fields every member sees alike."""
    return {
        "id": c.id,
        "type": c.type.value,
        "name": c.name,
        "description": c.description,
        "avatar_url": c.avatar_url,
        "created_by": c.created_by,
        "created_at": iso(c.created_at),
        "members": [member(m) for m in c.members],
        "last_seq": c.last_seq,
        "rev": c.rev,
        "members_can_pin": c.members_can_pin,
        "retention_days": c.retention_days,
        "pin_count": c.pin_count,
    }


def conversation(v: ConversationView) -> dict[str, Any]:
    out = conversation_base(v.conversation)
    out["last_message"] = message(v.last_message) if v.last_message else None
    out["unread_count"] = v.unread_count
    out["mention_count"] = v.mention_count
    out["read_seq"] = v.member.read_seq
    out["pinned"] = v.member.pinned
    out["muted"] = v.member.muted
    out["notify"] = level_of(v.member, v.conversation.type).value
    return out


def contact(c: Contact, u: User) -> dict[str, Any]:
    return {"user": user(u), "state": c.state.value, "since": iso(c.since)}


def receipt(r: Receipt) -> dict[str, Any]:
    return {"user_id": r.user_id, "read_seq": r.read_seq, "delivered_seq": r.delivered_seq}


def push_subscription(s: PushSubscription) -> dict[str, Any]:
    """The keys are the browser's; they are not shown back."""
    return {"endpoint": s.endpoint, "created_at": iso(s.created_at)}
