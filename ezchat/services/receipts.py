"""Read and delivery pointers and the receipts they make: part of ``MessageService``."""

from __future__ import annotations

from ezchat.domain import rules
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.events import ReceiptMoved
from ezchat.domain.messages import Receipt
from ezchat.domain.model import Member, PointerUpdate
from ezchat.ports.bus import EventBus
from ezchat.ports.storage import ConversationStore
from ezchat.services.conversations import ConversationService


class Receipts:
    """Needs the ``MessageService`` attributes it names."""

    _conversations: ConversationService
    _conversation_store: ConversationStore
    _bus: EventBus
    _limits: rules.Limits

    async def mark_read(self, caller: str, conversation_id: str, seq: int) -> Member:
        return await self._advance(caller, conversation_id, seq, read=True)

    async def mark_delivered(self, caller: str, conversation_id: str, seq: int) -> Member:
        return await self._advance(caller, conversation_id, seq, read=False)

    async def _advance(self, caller: str, conversation_id: str, seq: int, *, read: bool) -> Member:
        """Pointers only move forward and never past the last message. Reading implies
        delivery."""
        if seq < 0:
            raise InvalidRequest("seq must not be negative", field="seq")
        conv, me = await self._conversations.require_member(caller, conversation_id)
        target = min(seq, conv.last_seq)
        if target <= (me.read_seq if read else me.delivered_seq):
            return me
        member = await self._conversation_store.advance_pointers(
            PointerUpdate.of(conv.id, caller, read_seq=target if read else 0, delivered_seq=target)
        )
        if (member.read_seq, member.delivered_seq) != (me.read_seq, me.delivered_seq):
            await self._bus.publish(
                ReceiptMoved(
                    # In a large group only the reader's own devices hear of it (the others
                    # ask GET .../receipts): a receipt to every member from every member
                    # would grow with the square of the group.
                    recipients=frozenset({caller})
                    if conv.is_large(self._limits.large_group_members)
                    else conv.member_ids,
                    conversation_id=conv.id,
                    user_id=caller,
                    read_seq=member.read_seq,
                    delivered_seq=member.delivered_seq,
                )
            )
        return member

    async def receipts(self, caller: str, conversation_id: str) -> list[Receipt]:
        conv, _ = await self._conversations.require_member(caller, conversation_id)
        return [Receipt(m.user_id, m.read_seq, m.delivered_seq) for m in conv.members]
