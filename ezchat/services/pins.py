"""Pins: messages a conversation keeps at hand, at most ``MAX_PINS`` of them.

A pin is part of its message (``pinned_at``, ``pinned_by``), changed under the message's rev
like any change. The conversation's ``pin_count`` is counted from the messages, written, and
counted again until the two agree, so that the last write always follows every pin before it.
Two pins at once past the limit are both undone (each sees the other's): never 51."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from ezchat.domain import rules
from ezchat.domain.errors import Conflict, Forbidden, NotFound, StaleWrite
from ezchat.domain.events import MessageChanged
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType, Member, Role
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.pins import PinStore
from ezchat.ports.storage import ConversationStore, MessageStore
from ezchat.services.conversations import ConversationService

MAX_WRITE_ATTEMPTS = 50
COUNT_ROUNDS = 10


def may_pin(conv: Conversation, me: Member) -> bool:
    """Anyone in a direct conversation; in a group its admins, or every member when the group
    lets them (``members_can_pin``)."""
    return conv.type is ConversationType.DIRECT or me.role is Role.ADMIN or conv.members_can_pin


class PinService:
    def __init__(
        self,
        *,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        messages: MessageStore,
        pins: PinStore,
        bus: EventBus,
        clock: Clock,
        take_token: Callable[[str], Awaitable[None]],
    ) -> None:
        """``take_token``: the sender's rate limit, shared with sends and reactions."""
        self._take_token = take_token
        self._conversations = conversations
        self._conversation_store = conversation_store
        self._messages = messages
        self._pins = pins
        self._bus = bus
        self._clock = clock

    async def pinned(self, caller: str, conversation_id: str) -> list[Message]:
        """The pinned messages, the latest pinned first, for members."""
        await self._conversations.require_member(caller, conversation_id)
        return await self._pins.pinned(conversation_id, rules.MAX_PINS)

    async def pin(self, caller: str, conversation_id: str, message_id: str, *, on: bool) -> Message:
        """Pin (``on``) or unpin a message; doing what is done already changes nothing."""
        await self._take_token(caller)
        conv, me = await self._conversations.require_speaker(caller, conversation_id)
        if not may_pin(conv, me):
            raise Forbidden("only the group's admins can pin here")
        if on and await self._pins.count(conversation_id) >= rules.MAX_PINS:
            current = await self._messages.get(conversation_id, message_id)
            if current is None or current.pinned_at is None:
                raise Conflict(f"a conversation has at most {rules.MAX_PINS} pinned messages")
        now = self._clock.now()

        def pinning(m: Message) -> Message | None:
            if m.deleted:
                raise Conflict("a deleted message cannot be pinned")
            return None if m.pinned_at else replace(m, pinned_at=now, pinned_by=caller)

        stored = await self._change(conv, message_id, pinning if on else _unpinning)
        if on and await self._pins.count(conversation_id) > rules.MAX_PINS:
            await self._change(conv, message_id, _unpinning)  # another pin won the last place
            await self.recount(conversation_id)
            raise Conflict(f"a conversation has at most {rules.MAX_PINS} pinned messages")
        await self.recount(conversation_id)
        return stored

    async def _change(
        self, conv: Conversation, message_id: str, change: Callable[[Message], Message | None]
    ) -> Message:
        for attempt in range(MAX_WRITE_ATTEMPTS):
            current = await self._messages.get(conv.id, message_id)
            if current is None:
                raise NotFound("message not found")
            new = change(current)
            if new is None:
                return current
            try:
                stored = await self._messages.replace(new, expected_rev=current.rev)
            except StaleWrite:
                await asyncio.sleep(min(0.05, 0.001 * 2**attempt) * random.random())
                continue
            kind = "pinned" if stored.pinned_at else "unpinned"
            await self._bus.publish(
                MessageChanged(recipients=conv.member_ids, message=stored, change=kind)
            )
            return stored
        raise Conflict("the message is changing too fast; try again")

    async def recount(self, conversation_id: str) -> None:
        """Bring the conversation's ``pin_count`` to what the messages say and tell the members
        (``conversation.updated``): always, since what this process read before may be stale,
        and the event is also what makes other processes drop their cached copy."""
        conv = await self._conversation_store.get(conversation_id)
        if conv is None:
            return
        for _ in range(COUNT_ROUNDS):
            count = await self._pins.count(conversation_id)
            # Written even when it looks the same: what this process holds may be stale.
            conv = await self._conversation_store.set_pin_count(conversation_id, count)
            if await self._pins.count(conversation_id) == count:
                break
        await self._conversations.updated(conv, conv.member_ids)


def _unpinning(m: Message) -> Message | None:
    return replace(m, pinned_at=None, pinned_by=None) if m.pinned_at else None
