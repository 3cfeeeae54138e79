"""Domain objects for the contract tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from ezchat.domain.access import Credentials
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Attachment, NewMessage
from ezchat.domain.model import Conversation, ConversationType, Member, Role, User

T0 = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
_n = itertools.count()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def user(name: str, display: str | None = None) -> tuple[User, Credentials]:
    u = User(id=new_id(), username=name, display_name=display or name, created_at=at(next(_n)))
    return u, Credentials(user_id=u.id, password_hash=f"scrypt$hash-of-{name}")


def member(user_id: str, role: Role = Role.MEMBER, joined: float = 0) -> Member:
    return Member(user_id=user_id, role=role, joined_at=at(joined))


def group(*user_ids: str, name: str = "g") -> Conversation:
    members = (member(user_ids[0], Role.ADMIN),) + tuple(
        member(u, joined=i + 1) for i, u in enumerate(user_ids[1:])
    )
    return Conversation(
        id=new_id(),
        type=ConversationType.GROUP,
        created_by=user_ids[0],
        created_at=at(0),
        last_activity=at(0),
        name=name,
        members=members,
    )


def direct(a: str, b: str) -> Conversation:
    return Conversation(
        id=new_id(),
        type=ConversationType.DIRECT,
        created_by=a,
        created_at=at(0),
        last_activity=at(0),
        direct_key=":".join(sorted((a, b))),
        members=(member(a), member(b)),
    )


def new_message(
    conversation_id: str,
    sender: str,
    text: str = "hi",
    client_id: str | None = None,
    at_s: float = 0,
    attachments: tuple[Attachment, ...] = (),
) -> NewMessage:
    return NewMessage(
        conversation_id=conversation_id,
        sender_id=sender,
        client_id=client_id or new_id(),
        text=text,
        attachments=attachments,
        reply_to=None,
        created_at=at(at_s),
    )
