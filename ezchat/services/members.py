"""Group membership: adding and removing members, roles, and each member's own settings. A
group never ends without an admin, also when changes race."""

from __future__ import annotations

from ezchat.domain import rules
from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import MemberAdded, MemberRemoved
from ezchat.domain.model import (
    Conversation,
    ConversationType,
    Member,
    MemberChange,
    NotifyLevel,
    Role,
)
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ConversationStore, UserStore
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import (
    ConversationService,
    ConversationView,
    parse_role,
)

DIRECT = ConversationType.DIRECT


class MemberService:
    def __init__(
        self,
        *,
        conversations: ConversationService,
        store: ConversationStore,
        users: UserStore,
        contacts: ContactService,
        bus: EventBus,
        clock: Clock,
        limits: rules.Limits,
    ) -> None:
        self._conversations = conversations
        self._store = store
        self._users = users
        self._contacts = contacts
        self._bus = bus
        self._clock = clock
        self._limits = limits

    async def add_member(
        self, caller: str, conversation_id: str, user_id: str, role: str | None = None
    ) -> ConversationView:
        conv = await self._conversations.require_admin(caller, conversation_id, "add members")
        new_role = parse_role(role) if role is not None else Role.MEMBER
        if await self._users.get(user_id) is None:
            raise InvalidRequest("user_id names no user", field="user_id")
        if conv.member(user_id) is not None:
            raise Conflict("user is a member already")
        if len(conv.members) >= self._limits.max_group_members:
            raise Conflict(f"a group holds at most {self._limits.max_group_members} members")
        if await self._contacts.has_blocked(user_id, caller):
            raise Forbidden("this user cannot be added by you")
        member = Member(
            user_id=user_id,
            role=new_role,
            joined_at=self._clock.now(),
            read_seq=conv.last_seq,
            delivered_seq=conv.last_seq,
        )
        conv = await self._store.add_member(conv.id, member)
        await self._bus.publish(
            MemberAdded(
                recipients=conv.member_ids,
                conversation_id=conv.id,
                user_id=user_id,
                since_seq=conv.last_seq,
            )
        )
        return await self._conversations.get(caller, conversation_id)

    async def remove_member(self, caller: str, conversation_id: str, user_id: str) -> None:
        """Leave (the caller itself) or remove another member (admins). The last admin's
        leaving makes the longest-standing member admin; the last member's leaving ends the
        group."""
        conv, me = await self._conversations.require_member(caller, conversation_id)
        if conv.type is DIRECT:
            raise InvalidRequest("members of a direct conversation cannot change")
        target = conv.member(user_id)
        if target is None:
            raise NotFound("user is not a member")
        if user_id != caller and me.role is not Role.ADMIN:
            raise Forbidden("only admins can remove members")
        before = conv.member_ids
        conv = await self._store.remove_member(conv.id, user_id)
        await self._bus.publish(
            MemberRemoved(recipients=before, conversation_id=conv.id, user_id=user_id)
        )
        if not conv.members:
            await self._store.delete(conv.id)
            return
        await self._keep_an_admin(conv)

    async def set_role(
        self, caller: str, conversation_id: str, user_id: str, role: str
    ) -> ConversationView:
        conv = await self._conversations.require_admin(caller, conversation_id, "change roles")
        new_role = parse_role(role)
        target = conv.member(user_id)
        if target is None:
            raise NotFound("user is not a member")
        if target.role is Role.ADMIN and new_role is Role.MEMBER and len(conv.admins()) == 1:
            raise Conflict("a group needs at least one admin; promote another member first")
        if target.role is not new_role:
            conv = await self._store.update_member(conv.id, user_id, MemberChange(role=new_role))
            await self._conversations.updated(conv, conv.member_ids)
            await self._keep_an_admin(conv)
        return await self._conversations.get(caller, conversation_id)

    async def update_settings(
        self,
        caller: str,
        conversation_id: str,
        *,
        pinned: bool | None = None,
        muted: bool | None = None,
        notify: str | None = None,
    ) -> ConversationView:
        conv, me = await self._conversations.require_member(caller, conversation_id)
        level = None
        if notify is not None:
            try:
                level = NotifyLevel(notify)
            except ValueError:
                raise InvalidRequest(
                    "notify must be 'all', 'mentions' or 'none'", field="notify"
                ) from None
        change = MemberChange(
            pinned=None if pinned is None or pinned == me.pinned else pinned,
            muted=None if muted is None or muted == me.muted else muted,
            notify=None if level is None or level == me.notify else level,
        )
        if change.fields():
            conv = await self._store.update_member(conv.id, caller, change)
            await self._conversations.updated(conv, frozenset({caller}))
        return await self._conversations.get(caller, conversation_id)

    async def _keep_an_admin(self, conv: Conversation) -> None:
        """A group never stays without an admin. ``conv`` is the group as stored right after
        this caller's own write: of two writes racing (an admin demoting itself while the
        other leaves), the later one's result shows both, so its check promotes the heir."""
        while conv.members and not conv.admins():
            heir = min(conv.members, key=lambda m: (m.joined_at, m.user_id))
            try:
                conv = await self._store.update_member(
                    conv.id, heir.user_id, MemberChange(role=Role.ADMIN)
                )
            except NotFound:  # the heir left meanwhile: look again
                fresh = await self._store.get(conv.id)
                if fresh is None:
                    return
                conv = fresh
                continue
            await self._conversations.updated(conv, conv.member_ids)
