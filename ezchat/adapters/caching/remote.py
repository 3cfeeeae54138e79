"""Changes made by other processes, arriving as events on the bus: update or drop what this
process holds of them. (Changes made here go through the wrappers instead.)"""

from __future__ import annotations

from ezchat.adapters.caching.caches import Caches
from ezchat.domain.events import (
    AccessRevoked,
    ContactChanged,
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    Event,
    MemberAdded,
    MemberRemoved,
    MessageChanged,
    MessagePosted,
    PresenceChanged,
    ReceiptMoved,
    ThreadUpdated,
    UserUpdated,
)
from ezchat.domain.model import PointerUpdate


def apply_remote(caches: Caches, event: Event) -> None:
    """Another process changed something: update or drop what this process holds of it."""
    if isinstance(event, MessagePosted | MessageChanged):
        caches.note_messages(event.message.conversation_id, [event.message])
    elif isinstance(event, ThreadUpdated):  # the root was written with its new summary
        caches.note_messages(event.root.conversation_id, [event.root])
    elif isinstance(event, ReceiptMoved):
        conv = caches.conversations.get(event.conversation_id)
        old = conv.member(event.user_id) if conv else None
        if old is not None:
            moved = PointerUpdate.of(
                event.conversation_id,
                event.user_id,
                read_seq=event.read_seq,
                delivered_seq=event.delivered_seq,
            )
            caches.note_member(event.conversation_id, old.advanced(moved))
        else:
            caches.conversations.pop(event.conversation_id)
    elif isinstance(event, ConversationDeleted):
        caches.forget_conversation(event.conversation, event.conversation.id)
    elif isinstance(event, ConversationCreated | ConversationUpdated):
        caches.conversations.pop(event.conversation.id)
        for user_id in event.recipients:
            caches.memberships.pop(user_id)
    elif isinstance(event, MemberAdded | MemberRemoved):
        caches.conversations.pop(event.conversation_id)
        caches.memberships.pop(event.user_id)
    elif isinstance(event, UserUpdated | PresenceChanged):
        caches.users.pop(event.user.id)
    elif isinstance(event, ContactChanged):
        caches.contacts.pop(event.owner_id)
        caches.contacts.pop(event.user_id)
    elif isinstance(event, AccessRevoked):
        caches.users.pop(event.revocation.user_id)  # its access fields changed
