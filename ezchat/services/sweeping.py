"""Sweeping messages in bulk: erasing a deleted account's messages (ERASE_ON_DELETE) and
retention (RETENTION_DAYS, a group's own ``retention_days``).

A swept message becomes a tombstone in its place (``deleted: true``, text, attachments,
reactions and earlier versions gone, out of the search index) under the conversation's next
rev, so seqs, replies and threads stay consistent and a client catching up by rev sees it
deleted. Sweeps go in batches of ``batch`` messages, one write each, pausing ``pause_s``
between them, so that sends never queue behind a sweep for long.

What clients see live: a ``message.deleted`` event for each swept message among the newest
``LIVE_WINDOW`` of its conversation (what a client that opened the conversation has loaded,
and all that any process caches); older ones change silently (a client that scrolled that far
back sees them go at its next sync or reload). A first sweep over years of history thus costs
no flood of events."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from ezchat.domain.events import MessageChanged
from ezchat.domain.messages import Message, file_ids_of
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ConversationStore
from ezchat.ports.sweeps import SweepStore
from ezchat.services.files import FileService
from ezchat.services.pins import PinService
from ezchat.services.threads import ThreadService

log = logging.getLogger(__name__)

LIVE_WINDOW = 100
PAGE = 500  # conversations read at once by the retention sweep
_END = 2**62


class MessageSweeper:
    def __init__(
        self,
        *,
        sweeps: SweepStore,
        conversations: ConversationStore,
        bus: EventBus,
        clock: Clock,
        files: FileService | None,
        threads: ThreadService,
        pins: PinService,
        batch: int,
        pause_s: float,
        retention_days: float,
    ) -> None:
        self._sweeps = sweeps
        self._conversations = conversations
        self._bus = bus
        self._clock = clock
        self._files = files
        self._threads = threads
        self._pins = pins
        self._batch = batch
        self._pause_s = pause_s
        self.retention_days = retention_days  # the server's: 0 is off

    async def erase_sender(self, user_id: str) -> int:
        """Tombstone every message ``user_id`` sent, in every conversation (left ones too);
        the files they uploaded go. How many messages were erased."""
        total = 0
        after: tuple[str, int] | None = None
        while found := await self._sweeps.by_sender(user_id, after=after, limit=1):
            conversation_id = found[0].conversation_id
            while swept := await self._sweeps.erase(
                conversation_id, limit=self._batch, sender_id=user_id
            ):
                await self._settle(conversation_id, swept, purge_owner=user_id)
                total += len(swept)
                await asyncio.sleep(self._pause_s)
            after = (conversation_id, _END)  # what could not be erased stays; go on
        return total

    async def expire_all(self) -> int:
        """One retention round over every conversation that has a retention. How many
        messages were swept."""
        now = self._clock.now()
        total, after = 0, ""
        while page := await self._sweeps.conversations(
            after=after, limit=PAGE, own_only=not self.retention_days
        ):
            for conversation_id, own in page:
                days = own or self.retention_days
                if days:
                    total += await self.expire(conversation_id, before=now - timedelta(days=days))
            after = page[-1][0]
        return total

    async def expire(self, conversation_id: str, *, before: datetime) -> int:
        total = 0
        while swept := await self._sweeps.erase(conversation_id, limit=self._batch, before=before):
            await self._settle(conversation_id, swept, purge_owner=None)
            total += len(swept)
            await asyncio.sleep(self._pause_s)
        return total

    async def _settle(
        self,
        conversation_id: str,
        swept: list[tuple[Message, Message]],
        *,
        purge_owner: str | None,
    ) -> None:
        """What follows tombstones: files, thread summaries, pin counts, live events."""
        files = tuple(f for old, _ in swept for f in file_ids_of(old.attachments))
        if files and self._files is not None:
            if purge_owner is not None:  # the owner's go whatever carries them; the rest as usual
                files = await self._files.purge(purge_owner, files)
            await self._files.released(files)
        roots = {old.thread_root for old, _ in swept if old.thread_root is not None}
        for root in sorted(roots):
            await self._threads.restate(conversation_id, root)
        if any(old.pinned_at is not None for old, _ in swept):
            await self._pins.recount(conversation_id)
        conv = await self._conversations.get(conversation_id)
        if conv is None:
            return
        for _, tomb in swept:
            if tomb.seq > conv.last_seq - LIVE_WINDOW:
                await self._bus.publish(
                    MessageChanged(recipients=conv.member_ids, message=tomb, change="deleted")
                )
