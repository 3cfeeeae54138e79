"""Messages: what a client sends (``NewMessage``), what a store keeps (``Message``), and what
members have read of them (``Receipt``). Frozen, like every entity."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ezchat.domain.outbox import Notification, OutboxState


@dataclass(frozen=True)
class Attachment:
    """A link the client gave (``url``), or an uploaded file (``file_id``; its ``url`` then is
    the file's path, which each reader is given signed)."""

    url: str
    name: str
    mime_type: str
    size: int
    file_id: str | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: bool = False


def file_ids_of(attachments: tuple[Attachment, ...]) -> tuple[str, ...]:
    """The uploaded files among attachments."""
    return tuple(a.file_id for a in attachments if a.file_id is not None)


@dataclass(frozen=True)
class Forward:
    """Where a forwarded message was copied from: ids only, whoever reads it."""

    conversation_id: str
    message_id: str
    sender_id: str


@dataclass(frozen=True)
class LinkPreview:
    """What the server read of the page a message links to (domain/previews.py)."""

    url: str
    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    site_name: str | None = None


@dataclass(frozen=True)
class ThreadSummary:
    """What a thread's root shows of its replies (those that stand), kept exact by the
    services from the replies themselves (domain/threads.py says how)."""

    reply_count: int = 0
    last_reply_at: datetime | None = None
    participants: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewMessage:
    """A message before the store gives it an id, seq and rev."""

    conversation_id: str
    sender_id: str
    client_id: str
    text: str
    attachments: tuple[Attachment, ...]
    reply_to: str | None
    created_at: datetime
    mentions: tuple[str, ...] = ()
    forwarded_from: Forward | None = None
    thread_root: str | None = None
    # Whom to notify of it if still unread at ``notify_at`` (epoch seconds): written to the
    # outbox in the same write as the message, where the store allows.
    notify: tuple[str, ...] = ()
    notify_at: float = 0.0

    def stored(self, *, id: str, seq: int, rev: int) -> Message:
        """The message as a store keeps it, with the id, seq and rev it was given."""
        return Message(
            id=id,
            conversation_id=self.conversation_id,
            seq=seq,
            rev=rev,
            client_id=self.client_id,
            sender_id=self.sender_id,
            text=self.text,
            attachments=self.attachments,
            reply_to=self.reply_to,
            created_at=self.created_at,
            mentions=self.mentions,
            forwarded_from=self.forwarded_from,
            thread_root=self.thread_root,
        )

    def notifications(self, message: Message) -> list[Notification]:
        """The outbox entries to open (or to join, where one is open for the same user and
        conversation) for ``message``, stored from this."""
        return [
            Notification(
                id=f"{message.id}.{i}",  # unique as the message's id; cheaper than a uuid each
                user_id=user_id,
                conversation_id=message.conversation_id,
                first_seq=message.seq,
                last_seq=message.seq,
                count=1,
                state=OutboxState.OPEN,
                next_at=self.notify_at,
                created_at=message.created_at.timestamp(),
            )
            for i, user_id in enumerate(self.notify)
        ]


@dataclass(frozen=True)
class Message:
    id: str
    conversation_id: str
    seq: int
    rev: int
    client_id: str
    sender_id: str
    text: str
    created_at: datetime
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    # Emoji -> user ids in the order they reacted; emoji in the order first used.
    reactions: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    edited_at: datetime | None = None
    deleted: bool = False
    mentions: tuple[str, ...] = ()  # user ids the text names (sorted)
    forwarded_from: Forward | None = None
    thread_root: str | None = None  # the root of the thread it replies in; None: a root
    thread: ThreadSummary | None = None  # a root's replies (None: none yet)
    pinned_at: datetime | None = None  # pinned in its conversation since then (None: not)
    pinned_by: str | None = None
    previews: tuple[LinkPreview, ...] = ()  # of its first link, written after it was sent

    def reactions_dict(self) -> dict[str, list[str]]:
        return {emoji: list(users) for emoji, users in self.reactions}

    def with_reaction(self, emoji: str, user_id: str) -> Message:
        found = False
        out: list[tuple[str, tuple[str, ...]]] = []
        for e, users in self.reactions:
            if e == emoji:
                found = True
                if user_id not in users:
                    users = users + (user_id,)
            out.append((e, users))
        if not found:
            out.append((emoji, (user_id,)))
        return replace(self, reactions=tuple(out))

    def without_reaction(self, emoji: str, user_id: str) -> Message:
        out = []
        for e, users in self.reactions:
            if e == emoji:
                users = tuple(u for u in users if u != user_id)
            if users:
                out.append((e, users))
        return replace(self, reactions=tuple(out))

    def counts_as_unread_for(self, user_id: str) -> bool:
        """Unread counts others' messages that still stand."""
        return not self.deleted and self.sender_id != user_id

    def tombstone(self) -> Message:
        """The message as it stays after a delete: identity and place kept, content gone."""
        return replace(
            self,
            text="",
            attachments=(),
            reactions=(),
            mentions=(),
            deleted=True,
            forwarded_from=None,
            pinned_at=None,
            pinned_by=None,
            previews=(),
        )


@dataclass(frozen=True)
class Version:
    """A message's earlier text, kept when an edit replaced it: ``edited_at`` is when that text
    was written by an edit (None for the text as first sent)."""

    text: str
    edited_at: datetime | None


@dataclass(frozen=True)
class Receipt:
    user_id: str
    read_seq: int
    delivered_seq: int


def stamped_by(
    message: Message,
    now: datetime,
    text: str,
    files: tuple[Attachment, ...],
    conversation_id: str,
) -> bool:
    """Whether ``message`` is the one this send stored: its time is this send's own clock
    reading, to the microsecond, and it says what this send says. A client's repeat comes
    later (and may say something else)."""
    return (
        message.created_at == now
        and message.conversation_id == conversation_id
        and message.text == text
        and message.attachments == files
    )


def replaced_text(current: Message, new: Message) -> Version | None:
    """What an edit of ``current`` into ``new`` keeps: its text, when the text changes and the
    message stays (a delete keeps nothing)."""
    if new.text == current.text or new.deleted:
        return None
    return Version(current.text, current.edited_at)
