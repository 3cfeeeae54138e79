"""Messages: send, history, edit, delete, reactions, receipts and sync."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from ezchat.domain import notify, rules
from ezchat.domain.commands import DeleteMessage, EditMessage, React, SendMessage
from ezchat.domain.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    StaleWrite,
)
from ezchat.domain.events import MessageChanged, MessagePosted
from ezchat.domain.locks import KeyedLocks
from ezchat.domain.messages import (
    Message,
    NewMessage,
    Version,
    file_ids_of,
    replaced_text,
    stamped_by,
)
from ezchat.domain.model import Conversation, ConversationType, Member, Role
from ezchat.domain.previews import first_url
from ezchat.domain.threads import root_of
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.hooks import BeforeSend
from ezchat.ports.limits import RateLimits
from ezchat.ports.storage import ConversationStore, MessageStore, UserStore
from ezchat.services.contacts import ContactService
from ezchat.services.content import mentioned, outgoing
from ezchat.services.conversations import ConversationService
from ezchat.services.files import FileService
from ezchat.services.hooks import hook_checked
from ezchat.services.pins import PinService
from ezchat.services.previews import PreviewService
from ezchat.services.receipts import Receipts
from ezchat.services.threads import ThreadService

# The token bucket of sends, edits and reactions (per user), in the deployment's RateLimits.
MESSAGES = "messages"

# Changes of one message by writers in other processes: attempts before giving up (409).
MAX_WRITE_ATTEMPTS = 50

Mutation = Callable[[Conversation, Message], "Message | None"]


class MessageService(Receipts):
    def __init__(
        self,
        *,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        messages: MessageStore,
        contacts: ContactService,
        bus: EventBus,
        clock: Clock,
        limits: rules.Limits,
        rate_limits: RateLimits | None = None,
        users: UserStore | None = None,
        notify_delay_s: float | None = None,
        files: FileService | None = None,
    ) -> None:
        """``users``: to resolve @mentions (without it, messages mention no one). ``files``:
        to attach uploaded files and let them go with their last message.
        ``notify_delay_s``: queue notifications of a message for its recipients, due this long
        after it is sent (None: notifications are off)."""
        self._users = users
        self._files = files
        self.before_send: BeforeSend | None = None  # set by the composition root
        self.threads: ThreadService | None = None  # set by the composition root
        self.pins: PinService | None = None  # set by the composition root
        self.previews: PreviewService | None = None  # set by the composition root (or off)
        self._notify_delay_s = notify_delay_s
        self._rate_limits = rate_limits
        self._conversations = conversations
        self._conversation_store = conversation_store
        self._messages = messages
        self._contacts = contacts
        self._bus = bus
        self._clock = clock
        self._limits = limits
        self._locks = KeyedLocks()
        # Told of a send repeated with its client_id (set by the wiring: apps' webhooks record
        # its event again, in case the first attempt stopped before it was recorded).
        self.repeated: Callable[[Message], Awaitable[None]] | None = None

    async def send(
        self, caller: str, command: SendMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        """Post a message. Returns (message, created); a repeated client_id of the same sender
        returns the original and changes nothing. Raises ``RateLimited`` past the sender's
        message rate. ``on_queued``: called once the message's place (its seq) among later
        sends is fixed, where the store fixes it before the write is durable."""
        c = command
        await self.take_token(caller)
        conv, _ = await self._conversations.require_speaker(caller, c.conversation_id)
        rules.client_id(c.client_id)
        body, files, forwarded = await outgoing(
            caller,
            c,
            limits=self._limits,
            files=self._files,
            messages=self._messages,
            conversations=self._conversations,
        )
        root_id = None
        if c.reply_to is not None:
            parent = await self._messages.get(conv.id, c.reply_to)
            if parent is None:
                raise InvalidRequest("reply_to names no message here", field="reply_to")
            root_id = root_of(parent)
        if self.before_send is not None:
            body = await hook_checked(self.before_send, self._limits, caller, c, body, files)
        now = self._clock.now()
        mentions = await mentioned(self._users, conv, caller, body)
        if root_id is not None and self.threads is not None:
            mentions = await self.threads.addressed(conv, root_id, caller, mentions)
        delay = self._notify_delay_s
        message, created = await self._messages.add(
            NewMessage(
                conversation_id=conv.id,
                sender_id=caller,
                client_id=c.client_id,
                text=body,
                attachments=files,
                reply_to=c.reply_to,
                created_at=now,
                mentions=mentions,
                forwarded_from=forwarded,
                thread_root=root_id,
                notify=notify.recipients(conv, caller, mentions) if delay is not None else (),
                notify_at=now.timestamp() + (delay or 0.0),
            ),
            on_queued=on_queued,
        )
        if not created and stamped_by(message, now, body, files, conv.id):
            # Our own write, whose answer was lost and which the storage guard retried (a
            # write-concern timeout, say): still the send that made it.
            created = True
        if not created:
            if message.conversation_id != conv.id:
                raise Conflict("client_id was already used for a message in another conversation")
            if self.repeated is not None:
                await self.repeated(message)
            return message, False
        # Membership may have changed while the write was in flight: deliver to members now.
        conv = await self._conversation_store.get(conv.id) or conv
        await self._bus.publish(MessagePosted(recipients=conv.member_ids, message=message))
        if root_id is not None and self.threads is not None:
            await self.threads.replied(message)
        if c.previews and self.previews is not None:
            self.previews.posted(message)
        return message, True

    async def history(
        self,
        caller: str,
        conversation_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        await self._conversations.require_member(caller, conversation_id)
        return await self._messages.page(conversation_id, before=before, after=after, limit=limit)

    async def changed_since(
        self, caller: str, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool, int]:
        """For sync: messages changed after ``rev`` (ascending rev), whether more exist, and
        the rev to sync from next time: the last one returned while more exist, else the
        conversation's current rev."""
        if rev < 0:
            raise InvalidRequest("rev must not be negative", field="rev")
        conv, _ = await self._conversations.require_member(caller, conversation_id)
        messages, more = await self._messages.changed_since(conversation_id, rev, limit)
        if more:
            return messages, True, messages[-1].rev
        return messages, False, max(conv.rev, messages[-1].rev if messages else 0)

    async def edit(self, caller: str, command: EditMessage) -> Message:
        await self.take_token(caller)
        text = command.text
        conv, _ = await self._conversations.require_member(caller, command.conversation_id)
        mentions = await mentioned(self._users, conv, caller, text)

        def change(conv: Conversation, m: Message) -> Message | None:
            if m.sender_id != caller:
                raise Forbidden("only the sender can edit a message")
            if m.deleted:
                raise Conflict("a deleted message cannot be edited")
            new_text = rules.message_text(
                text, limits=self._limits, has_attachments=bool(m.attachments)
            )
            if new_text == m.text:
                return None
            # A reply keeps the followers it was addressed to (see ThreadService.addressed).
            kept = set(m.mentions) if m.thread_root else set()
            # Another first link: the old preview goes, the new one is read after the edit.
            linked = first_url(new_text) == first_url(m.text)
            return replace(
                m,
                text=new_text,
                edited_at=self._clock.now(),
                mentions=tuple(sorted(kept | set(mentions))),
                previews=m.previews if linked else (),
            )

        stored = await self._mutate(
            caller, command.conversation_id, command.message_id, change, "edited"
        )
        if not stored.previews and self.previews is not None:
            self.previews.posted(stored)
        return stored

    async def delete(
        self, caller: str, command: DeleteMessage, *, moderator: bool = False
    ) -> Message:
        """``moderator``: a server admin acting on a report, who need not be a member."""
        carried: list[str] = []
        was_pinned = False

        def change(conv: Conversation, m: Message) -> Message | None:
            nonlocal was_pinned
            me = conv.member(caller)
            is_admin = conv.type is ConversationType.GROUP and me and me.role is Role.ADMIN
            if m.sender_id != caller and not is_admin and not moderator:
                raise Forbidden("only the sender or a group admin can delete a message")
            carried[:] = file_ids_of(m.attachments)
            was_pinned = m.pinned_at is not None
            return None if m.deleted else m.tombstone()

        stored = await self._mutate(
            caller,
            command.conversation_id,
            command.message_id,
            change,
            "deleted",
            speaks=False,
            anyone=moderator,
        )
        if carried and self._files is not None:
            await self._files.released(tuple(carried))
        if stored.thread_root is not None and self.threads is not None:
            await self.threads.restate(stored.conversation_id, stored.thread_root)
        if was_pinned and self.pins is not None:
            await self.pins.recount(stored.conversation_id)  # a deleted message is unpinned
        return stored

    async def react(self, caller: str, command: React) -> Message:
        emoji, add = command.emoji, command.add
        rules.emoji(emoji)
        await self.take_token(caller)

        def change(conv: Conversation, m: Message) -> Message | None:
            if m.deleted:
                raise Conflict("a deleted message cannot take reactions")
            if add and len(m.reactions) >= rules.MAX_REACTIONS and emoji not in dict(m.reactions):
                raise Conflict(f"a message takes at most {rules.MAX_REACTIONS} different reactions")
            new = m.with_reaction(emoji, caller) if add else m.without_reaction(emoji, caller)
            return None if new.reactions == m.reactions else new

        return await self._mutate(
            caller, command.conversation_id, command.message_id, change, "reaction"
        )

    async def take_token(self, caller: str) -> None:
        """Sends, edits, reactions and pins share one token bucket per user: ``RateLimited``
        past it."""
        if self._rate_limits is None:
            return
        wait = await self._rate_limits.take(MESSAGES, caller)
        if wait > 0:
            raise RateLimited("sending too fast; slow down", retry_after=round(wait, 3))

    async def _mutate(
        self,
        caller: str,
        conversation_id: str,
        message_id: str,
        change: Mutation,
        kind: str,
        *,
        speaks: bool = True,
        anyone: bool = False,
    ) -> Message:
        """Apply ``change`` with optimistic concurrency. Changes of one message in this process
        take turns (no retry among them); a writer in another process that got there first
        makes this one re-read and retry, with a jittered pause. ``change`` returns None when
        there is nothing to do. ``speaks``: the change reaches the other side, so a block in a
        direct conversation refuses it (deleting one's own words stays possible)."""
        require: Callable[[str, str], Awaitable[tuple[Conversation, Member | None]]] = (
            self._conversations.require_speaker if speaks else self._conversations.require_member
        )
        if anyone:  # no membership asked (a moderator's delete)
            require = self._conversations.require_existing
        async with self._locks.hold((conversation_id, message_id)):
            for attempt in range(MAX_WRITE_ATTEMPTS):
                conv, _ = await require(caller, conversation_id)
                current = await self._messages.get(conversation_id, message_id)
                if current is None:
                    raise NotFound("message not found")
                new = change(conv, current)
                if new is None:
                    return current
                try:
                    stored = await self._messages.replace(
                        new, expected_rev=current.rev, earlier=replaced_text(current, new)
                    )
                except StaleWrite:
                    await asyncio.sleep(min(0.05, 0.001 * 2**attempt) * random.random())
                    continue
                await self._bus.publish(
                    MessageChanged(recipients=conv.member_ids, message=stored, change=kind)
                )
                return stored
        raise Conflict("the message is changing too fast; try again")

    async def versions(self, caller: str, conversation_id: str, message_id: str) -> list[Version]:
        """A message's earlier texts, oldest first, for the conversation's members (none once
        it is deleted: deleting erases them)."""
        await self._conversations.require_member(caller, conversation_id)
        if await self._messages.get(conversation_id, message_id) is None:
            raise NotFound("message not found")
        return await self._messages.history(conversation_id, message_id)
