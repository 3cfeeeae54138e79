"""Which conversations this process must hear from other processes: those of the users
connected to it. The bus is asked to follow a conversation when its first member here
connects or joins, and to unfollow it when the last one leaves or disconnects.

A user's first connection waits (before ``hello``) until all its conversations are heard, so
from ``hello`` on nothing published elsewhere is missed. A conversation followed because of a
membership change (a new group, a member added) was not heard between that change and the
subscription's confirmation: its new messages of that gap are read back from the store once the
subscription holds (``catch_up``), merged with those heard meanwhile, each once, in seq order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    Event,
    MemberAdded,
    MemberRemoved,
    MessagePosted,
)
from ezchat.domain.messages import Message
from ezchat.entry.realtime.tasks import Tasks
from ezchat.ports.bus import EventBus

log = logging.getLogger(__name__)

ConversationsOf = Callable[[str], Awaitable[list[str]]]
CatchUp = Callable[[str, int], Awaitable[list[Message]]]


class Interest:
    def __init__(
        self,
        *,
        bus: EventBus,
        conversations_of: ConversationsOf,
        catch_up: CatchUp,
        deliver: Callable[[MessagePosted], None],
        forget: Callable[[str], None],
        tasks: Tasks,
        connected_here: Callable[[str], bool],
    ) -> None:
        """``connected_here``: whether a user has a connection here now (the hub's say)."""
        self._here = connected_here
        self._active = bus.routed  # a bus that hears everything needs none of this
        self._bus = bus
        self._conversations_of = conversations_of
        self._catch_up = catch_up
        self._deliver = deliver
        self._forget = forget
        self._tasks = tasks
        self._of_user: dict[str, set[str]] = {}  # user connected here -> its conversations
        self._users_of: dict[str, set[str]] = {}  # conversation -> its users connected here
        self._ready: dict[str, asyncio.Future[None]] = {}  # users whose list is loading
        self._left: dict[str, set[str]] = {}  # ...and what they left while it loaded
        self._held: dict[str, list[MessagePosted]] = {}  # conversations being caught up

    @property
    def followed(self) -> int:
        return len(self._users_of)

    def conversations(self, user_id: str) -> set[str]:
        return set(self._of_user.get(user_id, ()))

    # -- connections -------------------------------------------------------------------------

    async def connected(self, user_id: str) -> None:
        """A connection of ``user_id`` opened: returns once its conversations are heard. (Its
        connections may all close meanwhile, before or after ``disconnected`` is called.)"""
        if not self._active or not self._here(user_id):
            return
        try:
            await self._load(user_id)
        finally:
            if not self._here(user_id):
                self.disconnected(user_id)

    async def _load(self, user_id: str) -> None:
        if user_id in self._of_user:
            ready = self._ready.get(user_id)
            if ready is not None:
                await asyncio.shield(ready)
            return
        mine: set[str] = set()
        self._of_user[user_id] = mine
        left: set[str] = set()
        self._left[user_id] = left
        ready = asyncio.get_running_loop().create_future()
        self._ready[user_id] = ready
        try:
            ids = await self._conversations_of(user_id)
            if self._of_user.get(user_id) is mine:  # not gone (and back) meanwhile
                await self._bus.follow(self._join(user_id, [c for c in ids if c not in left]))
        finally:
            if self._ready.get(user_id) is ready:
                del self._ready[user_id]
                del self._left[user_id]
            ready.set_result(None)

    def disconnected(self, user_id: str) -> None:
        """The last connection of ``user_id`` here closed."""
        mine = self._of_user.pop(user_id, None)
        if mine is not None:
            self._unfollow(self._leave(user_id, mine))

    # -- membership --------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if not self._active:
            return
        if isinstance(event, ConversationCreated):
            here = [u for u in event.recipients if u in self._of_user]
            for user_id in here:
                self._joined(user_id, event.conversation.id, since_seq=0)
        elif isinstance(event, MemberAdded):
            if event.user_id in self._of_user:
                self._joined(event.user_id, event.conversation_id, since_seq=event.since_seq)
        elif isinstance(event, MemberRemoved):
            self._left_one(event.user_id, event.conversation_id)
        elif isinstance(event, ConversationDeleted):
            conversation_id = event.conversation.id
            for user_id in list(self._users_of.get(conversation_id, ())) + list(self._left):
                self._left_one(user_id, conversation_id)

    def hold(self, event: MessagePosted) -> bool:
        """Whether the message waits for its conversation's catch-up (which delivers it)."""
        held = self._held.get(event.message.conversation_id)
        if held is None:
            return False
        held.append(event)
        return True

    def _joined(self, user_id: str, conversation_id: str, *, since_seq: int) -> None:
        if not self._join(user_id, [conversation_id]):
            return  # heard already, for another user here
        self._held[conversation_id] = []
        self._tasks.spawn(self._follow_new(conversation_id, since_seq), f"follow-{conversation_id}")

    def _left_one(self, user_id: str, conversation_id: str) -> None:
        left = self._left.get(user_id)
        if left is not None:
            left.add(conversation_id)
        if user_id in self._of_user:
            self._of_user[user_id].discard(conversation_id)
            self._unfollow(self._leave(user_id, [conversation_id]))

    async def _follow_new(self, conversation_id: str, since_seq: int) -> None:
        read: list[Message] = []
        try:
            if conversation_id in self._users_of:  # not left again already
                await self._bus.follow([conversation_id])
            if conversation_id not in self._users_of:  # left while subscribing
                self._unfollow([conversation_id])
            read = await self._catch_up(conversation_id, since_seq)
        except Exception:
            log.exception("catching up on conversation %s failed", conversation_id)
        finally:
            held = self._held.pop(conversation_id, [])
        here = frozenset(self._users_of.get(conversation_id, ()))
        heard = {e.message.id: e for e in held}
        events = list(heard.values()) + [
            MessagePosted(recipients=here, message=m) for m in read if m.id not in heard
        ]
        for event in sorted(events, key=lambda e: e.message.seq):
            self._deliver(event)

    def _unfollow(self, conversation_ids: list[str]) -> None:
        """No longer heard: the bus stops, and message order forgets where they were (when
        heard again, the next message must not wait for those missed meanwhile)."""
        self._bus.unfollow(conversation_ids)
        for conversation_id in conversation_ids:
            self._forget(conversation_id)

    # -- reference counts --------------------------------------------------------------------

    def _join(self, user_id: str, conversation_ids: list[str]) -> list[str]:
        """Conversations now followed for the first time."""
        mine = self._of_user[user_id]
        new = []
        for conversation_id in conversation_ids:
            mine.add(conversation_id)
            users = self._users_of.setdefault(conversation_id, set())
            if not users:
                new.append(conversation_id)
            users.add(user_id)
        return new

    def _leave(self, user_id: str, conversation_ids: set[str] | list[str]) -> list[str]:
        """Conversations no longer followed."""
        gone = []
        for conversation_id in conversation_ids:
            users = self._users_of.get(conversation_id)
            if users is None or user_id not in users:
                continue
            users.discard(user_id)
            if not users:
                del self._users_of[conversation_id]
                gone.append(conversation_id)
        return gone
