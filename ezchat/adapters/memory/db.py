"""The in-memory database the memory stores share: plain dicts, one per table."""

from __future__ import annotations

from dataclasses import dataclass, field

from ezchat.domain.access import Credentials, Revocation
from ezchat.domain.apps import ServerKey
from ezchat.domain.audit import AuditEntry
from ezchat.domain.exports import Export
from ezchat.domain.files import StoredFile
from ezchat.domain.invites import Invite
from ezchat.domain.messages import Message, Version
from ezchat.domain.model import Contact, Conversation, User
from ezchat.domain.outbox import Notification, PushSubscription
from ezchat.domain.reports import Report
from ezchat.domain.scheduled import Scheduled
from ezchat.domain.threads import Follow
from ezchat.domain.webhooks import Delivery, IncomingHook, Webhook


@dataclass
class Timeline:
    """One conversation's messages in seq order, with indexes by id and by rev."""

    messages: list[Message] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    by_id: dict[str, int] = field(default_factory=dict)  # id -> position
    by_rev: dict[int, str] = field(default_factory=dict)  # latest rev of a message -> id


@dataclass
class MemoryDatabase:
    users: dict[str, User] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)  # external id -> user id
    server_keys: dict[str, ServerKey] = field(default_factory=dict)  # key hash -> key
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], Delivery] = field(default_factory=dict)  # recording order
    incoming_hooks: dict[str, IncomingHook] = field(default_factory=dict)  # id -> hook
    histories: dict[tuple[str, str], list[Version]] = field(default_factory=dict)
    # (conversation id, root id) -> the ids of its replies in seq order
    replies: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # (conversation id, root id) -> user id -> their record of the thread
    follows: dict[tuple[str, str], dict[str, Follow]] = field(default_factory=dict)
    followed: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # user -> threads
    scheduled: dict[str, Scheduled] = field(default_factory=dict)  # id -> scheduled message
    invites: dict[str, Invite] = field(default_factory=dict)  # id -> invite
    audit: list[AuditEntry] = field(default_factory=list)  # in the order appended
    reports: dict[str, Report] = field(default_factory=dict)  # id -> report
    exports: dict[str, Export] = field(default_factory=dict)  # id -> export
    delivery_position: int = 0  # the last position a delivery was recorded at
    credentials: dict[str, Credentials] = field(default_factory=dict)
    contacts: dict[str, dict[str, Contact]] = field(default_factory=dict)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    direct_keys: dict[str, str] = field(default_factory=dict)
    memberships: dict[str, set[str]] = field(default_factory=dict)  # user id -> conversation ids
    timelines: dict[str, Timeline] = field(default_factory=dict)
    client_ids: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    revocations: list[Revocation] = field(default_factory=list)
    outbox: dict[str, Notification] = field(default_factory=dict)  # id -> entry
    open_outbox: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, conv) -> id
    push: dict[str, PushSubscription] = field(default_factory=dict)  # endpoint -> subscription
    files: dict[str, StoredFile] = field(default_factory=dict)
    # file id -> (conversation id, message id) of the messages that carried it when written
    file_refs: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
