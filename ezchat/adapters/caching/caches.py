"""The cached data of one process, shared by the cache wrappers, and the bookkeeping that
keeps it right as this process writes: new and changed messages move the cached conversation's
counters and the newest page, pointer moves update the cached member."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ezchat.adapters.caching.keyed import Counter, KeyedCache
from ezchat.domain.messages import Message
from ezchat.domain.model import Contact, Conversation, Member, User
from ezchat.domain.rules import MAX_PAGE

PAGE = MAX_PAGE  # messages kept per conversation: the largest page a client may ask for


@dataclass
class _Page:
    messages: list[Message]
    more: bool  # whether older messages exist beyond these


def _always(conversation_id: str) -> bool:
    return True


class Caches:
    """Each cache is a ``KeyedCache``: a read that raced a change is never kept. A cache of
    size 0 keeps nothing."""

    def __init__(
        self,
        *,
        user_size: int,
        user_ttl: float,
        query_size: int,
        query_ttl: float,
        message_size: int,
        message_ttl: float,
    ) -> None:
        # Whether this process hears every change of a conversation made elsewhere (the bus
        # says, once there is one: ``hear_through``): what it does not hear, it does not cache.
        self._hears: Callable[[str], bool] = _always

        def hears(conversation_id: str) -> bool:
            return self._hears(conversation_id)

        self.users: KeyedCache[str, User] = KeyedCache(size=user_size, ttl=user_ttl)
        self.conversations: KeyedCache[str, Conversation] = KeyedCache(
            size=query_size, ttl=query_ttl, admits=hears
        )
        self.memberships: KeyedCache[str, tuple[str, ...]] = KeyedCache(
            size=query_size, ttl=query_ttl
        )
        self.contacts: KeyedCache[str, tuple[Contact, ...]] = KeyedCache(
            size=query_size, ttl=query_ttl
        )
        self.pages: KeyedCache[str, _Page] = KeyedCache(
            size=max(message_size, PAGE) if message_size > 0 else 0,
            ttl=message_ttl,
            getsizeof=lambda p: max(len(p.messages), 1),
            admits=hears,
        )
        self.stats: dict[str, Counter] = {
            "users": self.users.stats,
            "conversations": self.conversations.stats,
            "memberships": self.memberships.stats,
            "contacts": self.contacts.stats,
            "pages": self.pages.stats,
        }

    def fit(self, users: int) -> None:
        """Size the caches to ``users`` connected here: each holds at least twice as many
        entries (the page cache, twice as many messages) as there are users, so that a restart
        with every client back at once (sync, then the newest page) reads each thing once,
        without an operator raising the settings first. The settings stay the floor; the caches
        never shrink (their TTL lets go of what is not read)."""
        want = 2 * users
        for cache in (self.users, self.conversations, self.memberships, self.contacts, self.pages):
            cache.grow(want)

    def hear_through(self, hears: Callable[[str], bool]) -> None:
        """Cache a conversation only while ``hears`` says this process hears its changes (the
        bus's answer; the bus is built after the caches, which its events update)."""
        self._hears = hears

    def sizes(self) -> dict[str, int]:
        return {
            "users": len(self.users),
            "conversations": len(self.conversations),
            "memberships": len(self.memberships),
            "contacts": len(self.contacts),
            "pages": len(self.pages),
            "page_messages": int(self.pages.currsize),
        }

    def unheard(self, conversation_ids: list[str]) -> None:
        """Changes of these conversations stopped reaching this process: forget them."""
        for conversation_id in conversation_ids:
            self.conversations.pop(conversation_id)
            self.pages.pop(conversation_id)

    def forget_conversation(self, conv: Conversation | None, conversation_id: str) -> None:
        self.conversations.pop(conversation_id)
        self.pages.pop(conversation_id)
        for m in conv.members if conv else ():
            self.memberships.pop(m.user_id)

    def note_messages(self, conversation_id: str, messages: list[Message]) -> None:
        """New or changed messages: move the cached counters, update the cached page."""
        conv = self.conversations.get(conversation_id)
        if conv is not None:
            activity = [m.created_at for m in messages if m.rev and m.seq > conv.last_seq]
            self.conversations.put(
                conversation_id,
                replace(
                    conv,
                    last_seq=max(conv.last_seq, *(m.seq for m in messages)),
                    rev=max(conv.rev, *(m.rev for m in messages)),
                    last_activity=(
                        max([conv.activity, *activity]) if activity else conv.last_activity
                    ),
                ),
            )
        else:
            self.conversations.pop(conversation_id)  # a load in flight predates these
        page = self.pages.get(conversation_id)
        if page is None:
            self.pages.pop(conversation_id)  # likewise
            return
        msgs = list(page.messages)
        for m in messages:
            position = next((i for i, old in enumerate(msgs) if old.id == m.id), None)
            if position is not None:
                msgs[position] = m
            elif (msgs[-1].seq if msgs else 0) == m.seq - 1:
                msgs.append(m)
            elif not msgs or m.seq > msgs[-1].seq:
                # A message this process has not seen came first: the page can't be trusted.
                self.pages.pop(conversation_id)
                return
        more = page.more or len(msgs) > PAGE
        self.pages.put(conversation_id, _Page(msgs[-PAGE:], more))

    def note_member(self, conversation_id: str, member: Member) -> None:
        conv = self.conversations.get(conversation_id)
        if conv is not None and conv.member(member.user_id) is not None:
            self.conversations.put(conversation_id, conv.with_member(member))
        else:
            self.conversations.pop(conversation_id)
