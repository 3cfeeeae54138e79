"""Incoming webhooks: a secret URL that posts into one group as the hook's own bot.

Made by one of the group's admins, or by the app's backend with a server key (then the
group's first admin stands for it: who adds the bot). The bot is a member of the group named
after the hook; posting through the hook is a send by that bot, with a user's checks and
message rate. Revoking the hook removes the bot from the group and disables it."""

from __future__ import annotations

import secrets

from ezchat.domain import rules
from ezchat.domain.audit import APP
from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType, Role
from ezchat.domain.webhooks import IncomingHook, hook_token_hash, new_hook_token
from ezchat.ports.clock import Clock
from ezchat.ports.storage import ConversationStore
from ezchat.ports.webhooks import IncomingHookStore
from ezchat.services.access import AccessService
from ezchat.services.apps import AppService
from ezchat.services.audit import AuditLog
from ezchat.services.conversations import ConversationService
from ezchat.services.members import MemberService
from ezchat.services.messages import MessageService

MAX_HOOKS_PER_CONVERSATION = 20


class IncomingHookService:
    def __init__(
        self,
        *,
        store: IncomingHookStore,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        members: MemberService,
        messages: MessageService,
        apps: AppService,
        access: AccessService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._conversations = conversations
        self._conversation_store = conversation_store
        self._members = members
        self._messages = messages
        self._apps = apps
        self._access = access
        self._clock = clock
        self.audit: AuditLog | None = None  # where changes are written (set by the wiring)

    async def _group(
        self, caller: str | None, conversation_id: str, what: str
    ) -> tuple[Conversation, str]:
        """The group and who acts in it: the caller when one of its admins, else (a server
        key) its first admin."""
        if caller is not None:
            return await self._conversations.require_admin(caller, conversation_id, what), caller
        conv = await self._conversation_store.get(conversation_id)
        if conv is None:
            raise NotFound("conversation not found")
        if conv.type is ConversationType.DIRECT:
            raise InvalidRequest(f"cannot {what} of a direct conversation")
        admin = next((m.user_id for m in conv.members if m.role is Role.ADMIN), None)
        if admin is None:
            raise Conflict("the group has no admin to add the hook's bot")
        return conv, admin

    async def create(
        self, caller: str | None, conversation_id: str, name: str
    ) -> tuple[IncomingHook, str]:
        """The hook and its token (shown once: only its hash is kept)."""
        shown = rules.text_field(name, "name", min_len=1, max_len=64)
        conv, actor = await self._group(caller, conversation_id, "add incoming webhooks")
        if len(await self._store.for_conversation(conv.id)) >= MAX_HOOKS_PER_CONVERSATION:
            raise InvalidRequest(
                f"a conversation has at most {MAX_HOOKS_PER_CONVERSATION} incoming webhooks",
                field="name",
            )
        bot, _ = await self._apps.create_bot(f"hook_{secrets.token_hex(6)}", shown)
        await self._members.add_member(actor, conv.id, bot.id)
        token = new_hook_token()
        token_hash = hook_token_hash(token)
        assert token_hash is not None
        hook = IncomingHook(
            id=new_id(),
            conversation_id=conv.id,
            name=shown,
            token_hash=token_hash,
            bot_id=bot.id,
            created_by=caller,
            created_at=self._clock.now().timestamp(),
        )
        await self._store.add(hook)
        if self.audit is not None:
            await self.audit.record(caller or APP, "incoming_hook.create", hook.id, conv.id)
        return hook, token

    async def listed(self, caller: str | None, conversation_id: str) -> list[IncomingHook]:
        conv, _ = await self._group(caller, conversation_id, "see incoming webhooks")
        return await self._store.for_conversation(conv.id)

    async def remove(self, caller: str | None, conversation_id: str, hook_id: str) -> None:
        conv, actor = await self._group(caller, conversation_id, "remove incoming webhooks")
        hooks = await self._store.for_conversation(conv.id)
        if not any(h.id == hook_id for h in hooks):
            raise NotFound("no incoming webhook with that id in this conversation")
        hook = await self._store.remove(hook_id)
        if hook is None:  # removed meanwhile by another request
            return
        if self.audit is not None:
            await self.audit.record(caller or APP, "incoming_hook.remove", hook.id, conv.id)
        await self._access.set_disabled(hook.bot_id, True)
        current = await self._conversation_store.get(conv.id)
        if current is not None and current.member(hook.bot_id) is not None:
            await self._members.remove_member(actor, conv.id, hook.bot_id)

    async def post(self, token: str, text: str, client_id: str | None) -> tuple[Message, bool]:
        """A message from the hook's bot: the token names the hook (404 otherwise)."""
        token_hash = hook_token_hash(token)
        hook = await self._store.by_token_hash(token_hash) if token_hash else None
        if hook is None:
            raise NotFound("no incoming webhook at this URL")
        command = SendMessage(hook.conversation_id, client_id or new_id(), text)
        return await self._messages.send(hook.bot_id, command)
