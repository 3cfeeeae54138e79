"""Threads: the summary on each root kept exact, following, and the followed threads list.

The summary is never counted up or down: after each reply or deleted reply it is computed again
from the replies that stand and written onto the root under the root's rev (optimistic, like
every change of a message). A writer whose rev went stale reads the root and the replies again;
and since each reads the replies after reading the root, the last write to succeed was computed
after every reply that came before it: two replies at once give ``reply_count`` 2, in any
number of processes."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace

from ezchat.domain import threads
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound, StaleWrite
from ezchat.domain.events import ThreadUpdated
from ezchat.domain.locks import KeyedLocks
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation
from ezchat.domain.threads import Follow, activity_key
from ezchat.ports.bus import EventBus
from ezchat.ports.storage import ConversationStore, MessageStore
from ezchat.ports.threads import ThreadStore
from ezchat.services.conversations import ConversationService

MAX_WRITE_ATTEMPTS = 50

ThreadKey = tuple[str, str, str]  # activity_key: (last activity, conversation id, root id)


@dataclass(frozen=True)
class ThreadView:
    """A followed thread as its follower sees it."""

    root: Message
    follow: Follow
    unread_count: int


class ThreadService:
    def __init__(
        self,
        *,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        messages: MessageStore,
        threads: ThreadStore,
        bus: EventBus,
    ) -> None:
        self._conversations = conversations
        self._conversation_store = conversation_store
        self._messages = messages
        self._threads = threads
        self._bus = bus
        self._locks = KeyedLocks()

    async def addressed(
        self, conv: Conversation, root_id: str, caller: str, mentions: tuple[str, ...]
    ) -> tuple[str, ...]:
        """The mentions of a reply: those its text names, and the thread's followers who are
        members (the notification rules treat a reply as a mention of them)."""
        root = await self._messages.get(conv.id, root_id)
        if root is None:
            return mentions
        follows = await self._threads.follows(conv.id, root_id)
        found = (threads.followers(follows, root) & conv.member_ids) | set(mentions)
        found.discard(caller)
        return tuple(sorted(found))

    async def replied(self, reply: Message) -> None:
        """A reply was stored: its sender follows the thread (again, if they had stopped),
        the root's author too unless they stopped, and the root's summary is brought up to
        date."""
        root_id = reply.thread_root
        assert root_id is not None
        cid = reply.conversation_id
        await self._threads.follow(reply.sender_id, cid, root_id, read_seq=reply.seq, renew=True)
        root = await self._messages.get(cid, root_id)
        if root is not None and root.sender_id != reply.sender_id:
            await self._threads.follow(root.sender_id, cid, root_id, read_seq=0, renew=False)
        await self.restate(cid, root_id)

    async def restate(self, conversation_id: str, root_id: str) -> None:
        """Write the summary computed from the replies that stand now onto the root, and tell
        the members (``thread.updated``) when it changed."""
        async with self._locks.hold((conversation_id, root_id)):
            for attempt in range(MAX_WRITE_ATTEMPTS):
                root = await self._messages.get(conversation_id, root_id)
                if root is None:
                    return
                summary = await self._threads.summary(conversation_id, root_id)
                if root.thread == summary:
                    return
                try:
                    stored = await self._messages.replace(
                        replace(root, thread=summary), expected_rev=root.rev
                    )
                except StaleWrite:
                    await asyncio.sleep(min(0.05, 0.001 * 2**attempt) * random.random())
                    continue
                conv = await self._conversation_store.get(conversation_id)
                if conv is not None:
                    await self._bus.publish(ThreadUpdated(recipients=conv.member_ids, root=stored))
                return
        raise Conflict("the thread is changing too fast; try again")

    async def _root(self, caller: str, conversation_id: str, message_id: str) -> Message:
        """The root of the thread ``message_id`` is in (itself when it is a root), for a
        member."""
        await self._conversations.require_member(caller, conversation_id)
        m = await self._messages.get(conversation_id, message_id)
        if m is not None and m.thread_root is not None:
            m = await self._messages.get(conversation_id, m.thread_root)
        if m is None:
            raise NotFound("message not found")
        return m

    async def page(
        self,
        caller: str,
        conversation_id: str,
        message_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        root = await self._root(caller, conversation_id, message_id)
        return await self._threads.page(
            conversation_id, root.id, before=before, after=after, limit=limit
        )

    async def follow(
        self, caller: str, conversation_id: str, message_id: str, *, on: bool
    ) -> ThreadView:
        """Follow (from the thread's latest reply on: what came before is not unread) or stop
        following."""
        root = await self._root(caller, conversation_id, message_id)
        if on:
            newest, _ = await self._threads.page(
                conversation_id, root.id, before=None, after=None, limit=1
            )
            await self._threads.follow(
                caller, conversation_id, root.id, read_seq=newest[-1].seq, renew=True
            )
        else:
            await self._threads.unfollow(caller, conversation_id, root.id)
        return await self._view(
            caller, root, await self._threads.read(caller, root.conversation_id, root.id, 0)
        )

    async def mark_read(
        self, caller: str, conversation_id: str, message_id: str, seq: int
    ) -> ThreadView:
        if seq < 0:
            raise InvalidRequest("seq must not be negative", field="seq")
        root = await self._root(caller, conversation_id, message_id)
        if root.sender_id == caller:  # marking is no reason to stop following one's own root
            await self._threads.follow(caller, conversation_id, root.id, read_seq=seq, renew=False)
        return await self._view(
            caller, root, await self._threads.read(caller, conversation_id, root.id, seq)
        )

    async def _view(self, caller: str, root: Message, follow: Follow) -> ThreadView:
        unread = await self._threads.count_unread(
            root.conversation_id, root.id, caller, follow.read_seq
        )
        return ThreadView(root, follow, unread)

    async def followed(
        self, caller: str, *, limit: int, after: ThreadKey | None
    ) -> tuple[list[ThreadView], ThreadKey | None]:
        """The caller's followed threads in the conversations they are in, latest reply
        first; and the key to go on after, or None at the end."""
        mine = set(await self._conversation_store.ids_for_user(caller))
        found = [t for t in await self._threads.followed(caller) if t.root.conversation_id in mine]
        found.sort(key=activity_key, reverse=True)
        if after is not None:
            found = [t for t in found if activity_key(t) < after]
        page = found[:limit]
        views = await asyncio.gather(*(self._view(caller, t.root, t.follow) for t in page))
        more = len(found) > limit
        return list(views), activity_key(page[-1]) if more and page else None
