"""Contacts and blocks. Each side of a relation is stored as its owner sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import ContactChanged
from ezchat.domain.locks import KeyedLocks
from ezchat.domain.model import Contact, ContactPair, ContactState, User
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ContactStore, UserStore

# Attempts of one change while writers in other processes keep changing the same pair.
MAX_ATTEMPTS = 20


class ContactService:
    def __init__(
        self, *, users: UserStore, contacts: ContactStore, bus: EventBus, clock: Clock
    ) -> None:
        self._users = users
        self._contacts = contacts
        self._bus = bus
        self._clock = clock
        self._locks = KeyedLocks()

    async def list(self, owner_id: str) -> list[tuple[Contact, User]]:
        contacts = await self._contacts.list(owner_id)
        users = await self._users.get_many([c.user_id for c in contacts])
        return [(c, users[c.user_id]) for c in contacts if c.user_id in users]

    async def has_blocked(self, owner_id: str, user_id: str) -> bool:
        c = await self._contacts.get(owner_id, user_id)
        return c is not None and c.state is ContactState.BLOCKED

    async def ensure_reachable(self, caller: str, other: str) -> None:
        """Raise ``Forbidden`` when either of the two has blocked the other: nothing the caller
        does may then reach the other (messages, edits, reactions, typing, a new direct
        conversation)."""
        pair = await self._contacts.pair(caller, other)
        if pair.theirs is not None and pair.theirs.state is ContactState.BLOCKED:
            raise Forbidden("this user does not accept messages from you")
        if pair.mine is not None and pair.mine.state is ContactState.BLOCKED:
            raise Forbidden("you have blocked this user; unblock them first")

    async def request(self, owner_id: str, user_id: str) -> tuple[Contact, User, bool]:
        """Ask ``user_id`` to be a contact. Returns (contact, user, created): a new outgoing
        request is created; an incoming request from that user is accepted on both sides."""
        before, after, other = await self._apply(owner_id, user_id, decide_request)
        assert after.mine is not None
        created = before.mine is None and after.mine.state is ContactState.OUTGOING
        return after.mine, other, created

    async def accept(self, owner_id: str, user_id: str) -> tuple[Contact, User]:
        _, after, other = await self._apply(owner_id, user_id, decide_accept)
        assert after.mine is not None
        return after.mine, other

    async def block(self, owner_id: str, user_id: str) -> tuple[Contact, User]:
        """Block a user: the relation ends on both sides and only the block remains."""
        _, after, other = await self._apply(owner_id, user_id, decide_block)
        assert after.mine is not None
        return after.mine, other

    async def forget(self, owner_id: str, user_id: str) -> None:
        """Both sides of the relation go (an account deleted)."""
        await self._change(owner_id, user_id, lambda mine, theirs: (None, None))

    async def remove(self, owner_id: str, user_id: str) -> None:
        """Remove a contact, cancel or decline a request, or lift a block."""
        await self._change(owner_id, user_id, decide_remove)

    async def _apply(
        self, owner_id: str, user_id: str, rule: Rule
    ) -> tuple[ContactPair, ContactPair, User]:
        """``rule`` applied to the pair as the caller ``owner_id`` acts on ``user_id`` now."""
        other = await self._other(owner_id, user_id)
        now = self._clock.now()
        before, after = await self._change(
            owner_id, user_id, lambda mine, theirs: rule(owner_id, user_id, mine, theirs, now)
        )
        return before, after, other

    async def _change(
        self, owner_id: str, user_id: str, decide: Decide
    ) -> tuple[ContactPair, ContactPair]:
        """Apply ``decide`` to the pair as one compare-and-swap, retried while another writer
        (another process) changes the pair first. Returns the pair before and after."""
        async with self._locks.hold(frozenset((owner_id, user_id))):
            for _ in range(MAX_ATTEMPTS):
                before = await self._contacts.pair(owner_id, user_id)
                after = ContactPair(*decide(before.mine, before.theirs))
                if after == before:
                    return before, after
                if await self._contacts.swap_pair(owner_id, user_id, expected=before, new=after):
                    if after.mine != before.mine:
                        await self._changed(owner_id, user_id, after.mine)
                    if after.theirs != before.theirs:
                        await self._changed(user_id, owner_id, after.theirs)
                    return before, after
        raise Conflict("this contact is changing too fast; try again")

    async def _other(self, owner_id: str, user_id: str) -> User:
        if owner_id == user_id:
            raise InvalidRequest("cannot be your own contact", field="user_id")
        other = await self._users.get(user_id)
        if other is None:
            raise NotFound("user not found")
        return other

    async def _changed(self, owner_id: str, user_id: str, contact: Contact | None) -> None:
        await self._bus.publish(
            ContactChanged(
                recipients=frozenset({owner_id}),
                owner_id=owner_id,
                user_id=user_id,
                contact=contact,
            )
        )


# -- the rules, as pure decisions over one pair: (mine, theirs) -> new (mine, theirs) ----------

Side = Contact | None
Decide = Callable[[Side, Side], tuple[Side, Side]]
# A rule of the caller (owner) acting on the other user at a moment: the pair's next state.
Rule = Callable[[str, str, Side, Side, datetime], tuple[Side, Side]]
BLOCKED = ContactState.BLOCKED


def _is(side: Side, state: ContactState) -> bool:
    return side is not None and side.state is state


def decide_request(
    owner: str, user: str, mine: Side, theirs: Side, now: datetime
) -> tuple[Side, Side]:
    if _is(mine, BLOCKED):
        raise Conflict("you have blocked this user; unblock them first")
    if _is(theirs, BLOCKED):
        raise Forbidden("this user does not accept contact requests from you")
    if _is(mine, ContactState.INCOMING):
        return _accepted(owner, user, now)
    if mine is not None:  # outgoing already, or accepted: nothing changes
        return mine, theirs
    return (
        Contact(owner_id=owner, user_id=user, state=ContactState.OUTGOING, since=now),
        Contact(owner_id=user, user_id=owner, state=ContactState.INCOMING, since=now),
    )


def decide_accept(
    owner: str, user: str, mine: Side, theirs: Side, now: datetime
) -> tuple[Side, Side]:
    if _is(mine, ContactState.ACCEPTED):
        return mine, theirs
    if not _is(mine, ContactState.INCOMING):
        raise NotFound("no contact request from this user")
    return _accepted(owner, user, now)


def decide_block(
    owner: str, user: str, mine: Side, theirs: Side, now: datetime
) -> tuple[Side, Side]:
    if _is(mine, BLOCKED):
        return mine, theirs
    blocked = Contact(owner_id=owner, user_id=user, state=BLOCKED, since=now)
    return blocked, theirs if _is(theirs, BLOCKED) else None


def decide_remove(mine: Side, theirs: Side) -> tuple[Side, Side]:
    if mine is None:
        raise NotFound("no contact with this user")
    if _is(mine, BLOCKED):  # lifting a block leaves the other's own block alone
        return None, theirs
    return None, theirs if _is(theirs, BLOCKED) else None


def _accepted(owner: str, user: str, now: datetime) -> tuple[Side, Side]:
    return (
        Contact(owner_id=owner, user_id=user, state=ContactState.ACCEPTED, since=now),
        Contact(owner_id=user, user_id=owner, state=ContactState.ACCEPTED, since=now),
    )
