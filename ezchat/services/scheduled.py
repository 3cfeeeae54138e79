"""Scheduled messages: checked when scheduled, sent when due as if the sender sent it then
(membership, blocks, limits and the before-send hook all apply again), by whichever process
claims it first. A refusal stays on the item as ``error``; a passing failure (the store away,
the sender's rate limit) is tried again. The send uses the item's ``client_id``, so a repeat
after a lost lease returns the message already sent: an item is sent once."""

from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import datetime

from ezchat.domain import rules, scheduled
from ezchat.domain.backoff import backoff_delay
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import (
    Conflict,
    EzChatError,
    InvalidRequest,
    NotFound,
    RateLimited,
    StorageUnavailable,
)
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Attachment
from ezchat.domain.scheduled import Scheduled
from ezchat.ports.clock import Clock
from ezchat.ports.scheduled import ScheduledStore
from ezchat.ports.storage import MessageStore
from ezchat.services.content import outgoing
from ezchat.services.conversations import ConversationService
from ezchat.services.files import FileService
from ezchat.services.messages import MessageService

log = logging.getLogger(__name__)


class ScheduledService:
    def __init__(
        self,
        *,
        store: ScheduledStore,
        messages: MessageService,
        message_store: MessageStore,
        conversations: ConversationService,
        files: FileService | None,
        clock: Clock,
        limits: rules.Limits,
        lease_s: float,
        orphan_ttl_s: float,
    ) -> None:
        """``orphan_ttl_s``: uploads no message carries go after this, so a scheduled
        message with uploads must be due sooner."""
        self._store = store
        self._messages = messages
        self._message_store = message_store
        self._conversations = conversations
        self._files = files
        self._clock = clock
        self._limits = limits
        self._lease_s = lease_s
        self._orphan_ttl_s = orphan_ttl_s

    async def schedule(
        self, caller: str, command: SendMessage, send_at: datetime
    ) -> tuple[Scheduled, bool]:
        """Keep a send for ``send_at``; (the item, whether it is new): the same ``client_id``
        again returns the item it made."""
        now = self._clock.now()
        when = scheduled.send_at_field(send_at, now)
        if command.forward_of is not None:
            raise InvalidRequest("a forward cannot be scheduled", field="forward_of")
        rules.client_id(command.client_id)
        conv, _ = await self._conversations.require_speaker(caller, command.conversation_id)
        body, files, _ = await outgoing(
            caller,
            command,
            limits=self._limits,
            files=self._files,
            messages=self._message_store,
            conversations=self._conversations,
        )
        if any(a.file_id for a in files) and (when - now).total_seconds() > self._orphan_ttl_s:
            raise InvalidRequest(
                "a scheduled message with uploads must be due within "
                f"{int(self._orphan_ttl_s)} s (UPLOAD_ORPHAN_TTL_S)",
                field="send_at",
            )
        if command.reply_to is not None and not await self._message_store.get(
            conv.id, command.reply_to
        ):
            raise InvalidRequest("reply_to names no message here", field="reply_to")
        item = Scheduled(
            id=new_id(),
            user_id=caller,
            conversation_id=conv.id,
            client_id=command.client_id,
            text=body,
            # As the client gave them: uploads are filled in again (and checked) when sent.
            attachments=tuple(
                Attachment(url="", name="", mime_type="", size=0, file_id=a.file_id)
                if a.file_id
                else a
                for a in files
            ),
            reply_to=command.reply_to,
            send_at=when,
            created_at=now,
            due_at=when.timestamp(),
        )
        stored = await self._store.add(item)
        if stored.id != item.id:
            return stored, False
        if await self._store.count_for_user(caller) > scheduled.MAX_PER_USER:
            await self._store.remove(item.id, expected_version=item.version)
            raise Conflict(f"at most {scheduled.MAX_PER_USER} scheduled messages per user")
        return stored, True

    async def mine(self, caller: str) -> list[Scheduled]:
        return await self._store.for_user(caller)

    async def _own(self, caller: str, item_id: str) -> Scheduled:
        item = await self._store.get(item_id) if len(item_id) <= 64 else None
        if item is None or item.user_id != caller:
            raise NotFound("scheduled message not found")
        if not scheduled.editable(item, self._clock.now().timestamp()):
            raise Conflict("the message is being sent")
        return item

    async def edit(
        self, caller: str, item_id: str, *, text: str | None, send_at: datetime | None
    ) -> Scheduled:
        """A new text or time; a failed item waits again. ``Conflict`` while it is sent, or
        when another change came first."""
        item = await self._own(caller, item_id)
        if text is not None:
            text = rules.message_text(
                text, limits=self._limits, has_attachments=bool(item.attachments)
            )
        if send_at is not None:
            send_at = scheduled.send_at_field(send_at, self._clock.now())
        new = scheduled.rescheduled(
            item, text=text, send_at=send_at, attachments_ok=bool(item.attachments)
        )
        if not await self._store.swap(new, expected_version=item.version):
            raise Conflict("the scheduled message changed meanwhile; read it again")
        return replace(new, version=item.version + 1)

    async def cancel(self, caller: str, item_id: str) -> None:
        item = await self._own(caller, item_id)
        if not await self._store.remove(item.id, expected_version=item.version):
            raise Conflict("the scheduled message changed meanwhile; read it again")

    # -- sending -----------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Scheduled]:
        """Due items this process now holds (each under a new lease)."""
        now = self._clock.now().timestamp()
        out = []
        for item in await self._store.due(now=now, limit=limit):
            mine = scheduled.claimed(item, now=now, lease_s=self._lease_s, token=new_id())
            if await self._store.swap(mine, expected_version=item.version):
                out.append(replace(mine, version=item.version + 1))
        return out

    async def send(self, item: Scheduled) -> str:
        """Send a claimed item: "sent", "failed" (refused: kept with its error) or "retry"."""
        command = SendMessage(
            conversation_id=item.conversation_id,
            client_id=item.client_id,
            text=item.text,
            attachments=item.attachments,
            reply_to=item.reply_to,
        )
        now = self._clock.now().timestamp()
        try:
            await self._messages.send(item.user_id, command)
        except RateLimited as exc:
            later = scheduled.retried(item, at=now + exc.retry_after, error=exc.message)
            return await self._settle(item, later, "retry")
        except StorageUnavailable as exc:
            pause = backoff_delay(
                attempt=item.attempts, base_s=1.0, cap_s=60.0, rand=random.random()
            )
            later = scheduled.retried(item, at=now + pause, error=exc.message)
            return await self._settle(item, later, "retry")
        except EzChatError as exc:
            refused = scheduled.failed(item, f"{exc.code}: {exc.message}")
            return await self._settle(item, refused, "failed")
        if not await self._store.remove(item.id, expected_version=item.version):
            log.warning("scheduled message %s: sent, but its lease was lost", item.id)
        return "sent"

    async def _settle(self, item: Scheduled, new: Scheduled, outcome: str) -> str:
        if not await self._store.swap(new, expected_version=item.version):
            log.warning("scheduled message %s: its lease was lost before %s", item.id, outcome)
        return outcome
