"""Typing indicators: forwarded to the other members, throttled per user and conversation."""

from __future__ import annotations

from ezchat.domain.errors import NotFound
from ezchat.domain.events import UserTyping
from ezchat.domain.realtime import TypingThrottle
from ezchat.domain.rules import Limits
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.services.conversations import ConversationService


class TypingService:
    def __init__(
        self,
        *,
        conversations: ConversationService,
        bus: EventBus,
        clock: Clock,
        throttle: TypingThrottle | None = None,
        limits: Limits | None = None,
    ) -> None:
        self._conversations = conversations
        self._large = (limits or Limits()).large_group_members
        self._bus = bus
        self._clock = clock
        self._throttle = throttle or TypingThrottle()

    async def typing(self, user_id: str, conversation_id: str, is_typing: bool) -> None:
        """Raises ``NotFound`` for a conversation the user is not a member of, ``Forbidden``
        in a direct conversation where either has blocked the other."""
        conv, _ = await self._conversations.require_speaker(user_id, conversation_id)
        if conv.is_large(self._large):
            return  # not forwarded: each typist would cost a frame per member
        if self._throttle.should_forward(
            user_id, conversation_id, is_typing, now=self._clock.monotonic()
        ):
            await self._publish(conv.member_ids, conversation_id, user_id, is_typing)

    async def stop_all(self, user_id: str) -> None:
        """The user's last connection closed: whoever sees them typing is told they stopped."""
        for conversation_id in self._throttle.active(user_id, now=self._clock.monotonic()):
            try:
                conv, _ = await self._conversations.require_member(user_id, conversation_id)
            except NotFound:  # left, or the conversation is gone: nobody to tell
                continue
            await self._publish(conv.member_ids, conversation_id, user_id, False)

    async def _publish(
        self, members: frozenset[str], conversation_id: str, user_id: str, is_typing: bool
    ) -> None:
        await self._bus.publish(
            UserTyping(
                recipients=members - {user_id},
                conversation_id=conversation_id,
                user_id=user_id,
                is_typing=is_typing,
            )
        )
