"""Read and delivered pointers, coalesced in memory and written in bulk.

A wrapper implementing ``ConversationStore``: ``advance_pointers`` answers at once with the
merged pointers and remembers them; every ``flush_s`` (and at shutdown) the newest pointer of
each member goes to the store in one ``advance_pointers_many``. Every read through this wrapper
overlays what is pending, so clients always see the newest pointer. What a crash loses is at
most ``flush_s`` of pointer moves, never a message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from ezchat.adapters.forwarding import ForwardingConversationStore
from ezchat.domain.errors import NotFound
from ezchat.domain.model import Conversation, Member, MemberChange, PointerUpdate
from ezchat.ports.storage import ConversationStore

log = logging.getLogger(__name__)


class BufferedPointerStore(ForwardingConversationStore):
    def __init__(
        self, inner: ConversationStore, *, flush_s: float, max_pending: int = 50_000
    ) -> None:
        super().__init__(inner)
        self._flush_s = flush_s
        self._max_pending = max_pending
        # conversation -> member -> the newest pending move: a read looks at its own
        # conversation's moves only.
        self._pending: dict[str, dict[str, PointerUpdate]] = {}
        # The moves being written: still overlaid until the write is done, or a read in the
        # meantime would see the store's older pointers (a read pointer moving back).
        self._flushing: dict[str, dict[str, PointerUpdate]] = {}
        self._count = 0
        self._task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self.flushes = 0
        self.flushed_pointers = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pointer-flush")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # the interval passed: flush anyway
                await asyncio.wait_for(self._kick.wait(), self._flush_s)
            self._kick.clear()
            await self.flush()

    async def flush(self) -> None:
        if not self._pending:
            return
        batch = [u for moves in self._pending.values() for u in moves.values()]
        self._flushing = self._pending
        self._pending, self._count = {}, 0
        try:
            await self._inner.advance_pointers_many(batch)
            self.flushes += 1
            self.flushed_pointers += len(batch)
        except Exception:
            log.exception(
                "writing %d read pointers failed; keeping them for the next flush", len(batch)
            )
            for u in batch:  # merge back, newer moves win
                self._merge(u)
        finally:
            self._flushing = {}

    async def aclose(self) -> None:
        """Write what is pending, then stop."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush()

    def _merge(self, u: PointerUpdate) -> None:
        moves = self._pending.setdefault(u.conversation_id, {})
        old = moves.get(u.user_id)
        if old is None:
            self._count += 1
        moves[u.user_id] = old.merged(u) if old is not None else u

    def _drop(self, conversation_id: str, user_id: str | None = None) -> None:
        """Forget the pending moves of one member, or of the whole conversation."""
        moves = self._pending.get(conversation_id)
        if moves is None:
            return
        if user_id is None:
            self._count -= len(moves)
            del self._pending[conversation_id]
        elif moves.pop(user_id, None) is not None:
            self._count -= 1

    def _overlay(self, conv: Conversation) -> Conversation:
        moves = dict(self._flushing.get(conv.id, {}))
        for user_id, u in self._pending.get(conv.id, {}).items():  # one move per member
            moves[user_id] = moves[user_id].merged(u) if user_id in moves else u
        return conv.with_pointers(moves.values()) if moves else conv

    async def advance_pointers(self, update: PointerUpdate) -> Member:
        conv = await self.get(update.conversation_id)
        member = conv.member(update.user_id) if conv else None
        if member is None:
            raise NotFound("user is not a member")
        self._merge(update)
        if self._count >= self._max_pending:
            self._kick.set()
        return member.advanced(update)

    async def advance_pointers_many(self, updates: Sequence[PointerUpdate]) -> None:
        for u in updates:
            self._merge(u)

    # Reads overlay what is pending; other writes go straight through.

    async def get(self, conversation_id: str) -> Conversation | None:
        conv = await self._inner.get(conversation_id)
        return self._overlay(conv) if conv else None

    async def get_direct(self, direct_key: str) -> Conversation | None:
        conv = await self._inner.get_direct(direct_key)
        return self._overlay(conv) if conv else None

    async def list_for_user(self, user_id: str) -> list[Conversation]:
        return [self._overlay(c) for c in await self._inner.list_for_user(user_id)]

    async def update_info(self, conversation: Conversation) -> Conversation:
        return self._overlay(await self._inner.update_info(conversation))

    async def set_pin_count(self, conversation_id: str, count: int) -> Conversation:
        return self._overlay(await self._inner.set_pin_count(conversation_id, count))

    async def delete(self, conversation_id: str) -> None:
        self._drop(conversation_id)
        await self._inner.delete(conversation_id)

    async def add_member(self, conversation_id: str, member: Member) -> Conversation:
        self._drop(conversation_id, member.user_id)
        return self._overlay(await self._inner.add_member(conversation_id, member))

    async def remove_member(self, conversation_id: str, user_id: str) -> Conversation:
        self._drop(conversation_id, user_id)
        return self._overlay(await self._inner.remove_member(conversation_id, user_id))

    async def update_member(
        self, conversation_id: str, user_id: str, change: MemberChange
    ) -> Conversation:
        return self._overlay(await self._inner.update_member(conversation_id, user_id, change))
