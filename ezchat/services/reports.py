"""Reports of messages by members, and their resolution by server admins: dismissed, the
message deleted (as a moderator, who need not be a member), or its sender disabled. The action
is taken first and the report resolved after, in one atomic step: of two admins resolving one
report at once, one resolves it and the other gets 409 (each action is safe to take twice)."""

from __future__ import annotations

import contextlib

from ezchat.domain import reports
from ezchat.domain.commands import DeleteMessage
from ezchat.domain.errors import Conflict, InvalidRequest, NotFound
from ezchat.domain.ids import new_id
from ezchat.domain.reports import Report, ReportStatus, Resolution
from ezchat.ports.clock import Clock
from ezchat.ports.reports import ReportStore
from ezchat.ports.storage import MessageStore
from ezchat.services.admin import AdminService
from ezchat.services.contacts import ContactService
from ezchat.services.conversations import ConversationService
from ezchat.services.messages import MessageService


class ReportService:
    def __init__(
        self,
        *,
        store: ReportStore,
        messages: MessageService,
        message_store: MessageStore,
        conversations: ConversationService,
        contacts: ContactService,
        admin: AdminService,
        clock: Clock,
    ) -> None:
        self._store = store
        self._messages = messages
        self._message_store = message_store
        self._conversations = conversations
        self._contacts = contacts
        self._admin = admin
        self._clock = clock

    async def report(
        self,
        caller: str,
        conversation_id: str,
        message_id: str,
        *,
        reason: str,
        category: str | None,
        block: bool,
    ) -> tuple[Report, bool]:
        """A member reports a message of the conversation (``NotFound`` for others, as for
        every route of a conversation); with ``block`` the reporter also blocks its sender."""
        await self._conversations.require_member(caller, conversation_id)
        m = await self._message_store.get(conversation_id, message_id)
        if m is None:
            raise NotFound("message not found")
        if m.sender_id == caller:
            raise InvalidRequest("one's own message cannot be reported", field="message_id")
        made, created = await self._store.add(
            Report(
                id=new_id(),
                conversation_id=conversation_id,
                message_id=m.id,
                reporter_id=caller,
                sender_id=m.sender_id,
                text=m.text,
                reason=reports.reason_field(reason),
                category=reports.category_field(category),
                created_at=self._clock.now().timestamp(),
            )
        )
        if block:
            await self._contacts.block(caller, m.sender_id)
        return made, created

    async def listed(
        self,
        caller: str,
        *,
        status: ReportStatus | None,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[Report]:
        await self._admin.require_admin(caller)
        return await self._store.page(status=status, before=before, limit=limit)

    async def resolve(self, caller: str, report_id: str, action: Resolution) -> Report:
        await self._admin.require_admin(caller)
        found = await self._store.get(report_id) if len(report_id) <= 64 else None
        if found is None:
            raise NotFound("report not found")
        if found.status is not ReportStatus.OPEN:
            raise Conflict("the report is resolved already")
        if action is Resolution.DELETE_MESSAGE:
            command = DeleteMessage(found.conversation_id, found.message_id)
            with contextlib.suppress(NotFound):  # gone with its conversation: nothing to delete
                await self._messages.delete(caller, command, moderator=True)
        elif action is Resolution.DISABLE_USER:
            await self._admin.set_disabled(caller, found.sender_id, True)
        done = await self._store.resolve(
            report_id, by=caller, action=action, at=self._clock.now().timestamp()
        )
        if done is None:
            raise Conflict("the report was resolved meanwhile")
        await self._admin.audit.record(caller, "report.resolve", report_id, action.value)
        return done
