"""Direct and group conversations, membership, roles and per-member settings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ezchat.domain import rules
from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
)
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType, Member, Role
from ezchat.domain.unset import UNSET, Unset
from ezchat.ports.bus import EventBus
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ConversationStore, MessageStore, UserStore
from ezchat.services.contacts import ContactService

DIRECT = ConversationType.DIRECT
# Where a conversation stands in a listing: (0 if pinned else 1, -latest activity, id).
ListingKey = tuple[int, float, str]


@dataclass(frozen=True)
class ConversationView:
    """A conversation as one member sees it."""

    conversation: Conversation
    member: Member
    last_message: Message | None
    unread_count: int
    mention_count: int = 0  # unread messages that mention the member


def views_without_messages(conv: Conversation, user_ids: Iterable[str]) -> list[ConversationView]:
    """The views of a conversation with nothing to count or show (just created, or deleted):
    built without reading the store, so they can go out in line with other events."""
    wanted = set(user_ids)
    return [ConversationView(conv, m, None, 0) for m in conv.members if m.user_id in wanted]


def direct_key(a: str, b: str) -> str:
    return ":".join(sorted((a, b)))


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRequest("role must be 'admin' or 'member'", field="role") from None


class ConversationService:
    def __init__(
        self,
        *,
        users: UserStore,
        conversations: ConversationStore,
        messages: MessageStore,
        contacts: ContactService,
        bus: EventBus,
        clock: Clock,
        limits: rules.Limits,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self._users = users
        self._conversations = conversations
        self._messages = messages
        self._contacts = contacts
        self._bus = bus
        self._clock = clock
        self._limits = limits
        self._ids = ids

    # -- reading -----------------------------------------------------------------------------

    async def require_member(
        self, caller: str, conversation_id: str
    ) -> tuple[Conversation, Member]:
        """The conversation and the caller's membership; ``NotFound`` for non-members too."""
        conv = await self._conversations.get(conversation_id)
        member = conv.member(caller) if conv else None
        if conv is None or member is None:
            raise NotFound("conversation not found")
        return conv, member

    async def require_existing(
        self, caller: str, conversation_id: str
    ) -> tuple[Conversation, Member | None]:
        """The conversation, whoever asks (for a server admin's moderation); ``NotFound``."""
        conv = await self._conversations.get(conversation_id)
        if conv is None:
            raise NotFound("conversation not found")
        return conv, conv.member(caller)

    async def require_speaker(
        self, caller: str, conversation_id: str
    ) -> tuple[Conversation, Member]:
        """``require_member``, and for a direct conversation that neither of the two has
        blocked the other (``Forbidden``): what the caller says (messages, edits, reactions,
        typing) must not reach someone who blocked them."""
        conv, member = await self.require_member(caller, conversation_id)
        if conv.type is DIRECT:
            other = next((m.user_id for m in conv.members if m.user_id != caller), None)
            if other is not None:
                await self._contacts.ensure_reachable(caller, other)
        return conv, member

    async def get(self, caller: str, conversation_id: str) -> ConversationView:
        conv, member = await self.require_member(caller, conversation_id)
        return (await self._views(caller, [conv]))[0]

    async def listing(
        self, caller: str, *, limit: int, after: ListingKey | None
    ) -> tuple[list[ConversationView], ListingKey | None]:
        """Pinned first, then by latest activity, newest first. ``after`` continues a list
        after the item with that key; the key of the last item is returned while more
        follow."""
        convs = await self._conversations.list_for_user(caller)

        def key(c: Conversation) -> ListingKey:
            m = c.member(caller)
            return (0 if m and m.pinned else 1, -c.activity.timestamp(), c.id)

        ordered = sorted(convs, key=key)
        if after is not None:
            ordered = [c for c in ordered if key(c) > after]
        page = ordered[:limit]
        next_key = key(page[-1]) if len(ordered) > limit else None
        return await self._views(caller, page), next_key

    async def views(self, conv: Conversation, user_ids: Iterable[str]) -> list[ConversationView]:
        """``conv`` as each of these members sees it (for events; REST answers are the same
        views of one caller)."""
        wanted = set(user_ids)
        members = [m for m in conv.members if m.user_id in wanted]
        if not members:
            return []
        last = (await self._messages.last_messages([conv.id])).get(conv.id)
        return [await self._view(conv, m, last) for m in members]

    async def _views(self, caller: str, convs: list[Conversation]) -> list[ConversationView]:
        last = await self._messages.last_messages([c.id for c in convs])
        out = []
        for c in convs:
            member = c.member(caller)
            assert member is not None
            out.append(await self._view(c, member, last.get(c.id)))
        return out

    async def _view(
        self, conv: Conversation, member: Member, last: Message | None
    ) -> ConversationView:
        unread = mentions = 0
        if conv.last_seq > member.read_seq:
            unread = await self._messages.count_unread(conv.id, member.user_id, member.read_seq)
            if unread:
                mentions = await self._messages.count_mentions(
                    conv.id, member.user_id, member.read_seq
                )
        return ConversationView(conv, member, last, unread, mentions)

    # -- creating ----------------------------------------------------------------------------

    async def open_direct(self, caller: str, user_id: str) -> tuple[ConversationView, bool]:
        """Get or create the direct conversation of the two. Returns (view, created)."""
        if user_id == caller:
            raise InvalidRequest("a direct conversation needs another user", field="user_id")
        if await self._users.get(user_id) is None:
            raise InvalidRequest("user_id names no user", field="user_id")
        await self._contacts.ensure_reachable(caller, user_id)
        key = direct_key(caller, user_id)
        existing = await self._conversations.get_direct(key)
        if existing is not None:
            return await self.get(caller, existing.id), False
        now = self._clock.now()
        conv = Conversation(
            id=self._ids(),
            type=DIRECT,
            created_by=caller,
            created_at=now,
            last_activity=now,
            direct_key=key,
            members=(
                Member(user_id=caller, role=Role.MEMBER, joined_at=now),
                Member(user_id=user_id, role=Role.MEMBER, joined_at=now),
            ),
        )
        try:
            await self._conversations.add(conv)
        except Conflict:  # created by the other side at the same moment
            existing = await self._conversations.get_direct(key)
            if existing is None:
                raise
            return await self.get(caller, existing.id), False
        await self._bus.publish(ConversationCreated(recipients=conv.member_ids, conversation=conv))
        return await self.get(caller, conv.id), True

    async def create_group(
        self,
        caller: str,
        *,
        name: str,
        member_ids: list[str],
        description: str | None = None,
        avatar_url: str | None = None,
    ) -> ConversationView:
        title = rules.text_field(name, "name", min_len=1, max_len=100)
        about = rules.optional_text(description, "description", max_len=1000)
        avatar = rules.url(avatar_url, "avatar_url")
        others = list(dict.fromkeys(u for u in member_ids if u != caller))
        if len(others) + 1 > self._limits.max_group_members:
            raise InvalidRequest(
                f"a group holds at most {self._limits.max_group_members} members",
                field="member_ids",
            )
        found = await self._users.get_many(others)
        unknown = [u for u in others if u not in found]
        if unknown:
            raise InvalidRequest(
                f"member_ids names unknown users: {', '.join(unknown[:10])}", field="member_ids"
            )
        for u in others:
            if await self._contacts.has_blocked(u, caller):
                raise Forbidden(f"user {u} cannot be added by you")
        now = self._clock.now()
        members = (Member(user_id=caller, role=Role.ADMIN, joined_at=now),) + tuple(
            Member(user_id=u, role=Role.MEMBER, joined_at=now) for u in others
        )
        conv = Conversation(
            id=self._ids(),
            type=ConversationType.GROUP,
            created_by=caller,
            created_at=now,
            last_activity=now,
            name=title,
            description=about,
            avatar_url=avatar,
            members=members,
        )
        await self._conversations.add(conv)
        await self._bus.publish(ConversationCreated(recipients=conv.member_ids, conversation=conv))
        return await self.get(caller, conv.id)

    # -- changing ----------------------------------------------------------------------------

    async def update_info(
        self,
        caller: str,
        conversation_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | None | Unset = UNSET,
        avatar_url: str | None | Unset = UNSET,
        members_can_pin: bool | None = None,
        retention_days: int | None | Unset = UNSET,
    ) -> ConversationView:
        conv = await self.require_admin(caller, conversation_id, "change the conversation")
        changes: dict[str, object] = {}
        if name is not UNSET:
            changes["name"] = rules.text_field(name, "name", min_len=1, max_len=100)
        if description is not UNSET:
            changes["description"] = rules.optional_text(description, "description", max_len=1000)
        if avatar_url is not UNSET:
            changes["avatar_url"] = rules.url(avatar_url, "avatar_url")
        if members_can_pin is not None:
            changes["members_can_pin"] = members_can_pin
        if retention_days is not UNSET:
            changes["retention_days"] = rules.retention_days(retention_days)
        updated = replace(conv, **changes)  # type: ignore[arg-type]
        if updated != conv:
            updated = await self._conversations.update_info(updated)
            await self.updated(updated, updated.member_ids)
        return await self.get(caller, conversation_id)

    async def delete(self, caller: str, conversation_id: str) -> None:
        conv = await self.require_admin(caller, conversation_id, "delete the conversation")
        await self._conversations.delete(conv.id)
        await self._bus.publish(ConversationDeleted(recipients=conv.member_ids, conversation=conv))

    async def require_admin(self, caller: str, conversation_id: str, what: str) -> Conversation:
        """The group, when the caller is one of its admins: ``InvalidRequest`` for a direct
        conversation, ``Forbidden`` for a non-admin (``what`` says what was refused)."""
        conv, me = await self.require_member(caller, conversation_id)
        if conv.type is DIRECT:
            raise InvalidRequest(f"cannot {what} of a direct conversation")
        if me.role is not Role.ADMIN:
            raise Forbidden(f"only admins can {what}")
        return conv

    async def updated(self, conv: Conversation, recipients: frozenset[str]) -> None:
        """Tell ``recipients`` the conversation changed."""
        await self._bus.publish(ConversationUpdated(recipients=recipients, conversation=conv))
