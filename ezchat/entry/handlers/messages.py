"""Messages, reactions, read pointers, receipts and search."""

from __future__ import annotations

from ezchat.domain.commands import DeleteMessage, React
from ezchat.domain.errors import InvalidRequest
from ezchat.entry import commands, cursors, serialize
from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.logs import assign_request_id


def hand_over(connection: object, failure: BaseException) -> None:
    """The fast lane could not answer the request coming on ``connection``: what it ran into
    (a bad token, a conversation the caller cannot see, the store away) is answered by the
    handler as its own, without doing the work again."""
    connection.ezchat_lane_failure = failure  # type: ignore[attr-defined]


def _taken_over(handler: ApiHandler) -> BaseException | None:
    connection = handler.request.connection
    failure: BaseException | None = getattr(connection, "ezchat_lane_failure", None)
    if failure is not None:
        del connection.ezchat_lane_failure  # type: ignore[union-attr]
    return failure


class MessagesHandler(ApiHandler):
    async def prepare(self) -> None:
        failure = _taken_over(self)
        if failure is not None:
            assign_request_id(self)
            raise failure
        await super().prepare()

    async def get(self, conversation_id: str) -> None:
        before = self.query_int("before", default=None)
        after = self.query_int("after", default=None)
        messages, has_more = await self.services.messages.history(
            self.user.id, conversation_id, before=before, after=after, limit=self.limit()
        )
        self.finish(self.services.json.page(messages, has_more))

    async def post(self, conversation_id: str) -> None:
        body = self.body()
        command = commands.send_message(body, conversation_id)
        send_at = body.optional_time("send_at")
        if send_at is not None:
            item, created = await self.services.scheduled.schedule(self.user.id, command, send_at)
            self.reply({"scheduled": serialize.scheduled(item)}, 202 if created else 200)
            return
        message, created = await self.services.messages.send(self.user.id, command)
        self.reply(serialize.message(message), 201 if created else 200)


class MessageHandler(ApiHandler):
    async def patch(self, conversation_id: str, message_id: str) -> None:
        command = commands.edit_message(self.body(), conversation_id, message_id)
        message = await self.services.messages.edit(self.user.id, command)
        self.reply(serialize.message(message))

    async def delete(self, conversation_id: str, message_id: str) -> None:
        await self.services.messages.delete(
            self.user.id, DeleteMessage(conversation_id, message_id)
        )
        self.no_content()


class HistoryHandler(ApiHandler):
    async def get(self, conversation_id: str, message_id: str) -> None:
        found = await self.services.messages.versions(self.user.id, conversation_id, message_id)
        self.reply(
            {"versions": [{"text": v.text, "edited_at": serialize.iso(v.edited_at)} for v in found]}
        )


class ReactionHandler(ApiHandler):
    async def put(self, conversation_id: str, message_id: str, emoji: str) -> None:
        await self._react(conversation_id, message_id, emoji, add=True)

    async def delete(self, conversation_id: str, message_id: str, emoji: str) -> None:
        await self._react(conversation_id, message_id, emoji, add=False)

    async def _react(self, conversation_id: str, message_id: str, emoji: str, *, add: bool) -> None:
        message = await self.services.messages.react(
            self.user.id, React(conversation_id, message_id, emoji, add=add)
        )
        self.reply(serialize.message(message))


class ReadHandler(ApiHandler):
    async def post(self, conversation_id: str) -> None:
        seq = self.body().integer("seq")
        member = await self.services.messages.mark_read(self.user.id, conversation_id, seq)
        self.reply({"read_seq": member.read_seq})


class ReceiptsHandler(ApiHandler):
    async def get(self, conversation_id: str) -> None:
        receipts = await self.services.messages.receipts(self.user.id, conversation_id)
        self.reply({"receipts": [serialize.receipt(r) for r in receipts]})


class SearchHandler(ApiHandler):
    async def get(self) -> None:
        q = self.get_query_argument("q", "")
        if not q.strip():
            raise InvalidRequest("q is required", field="q")
        order = self.get_query_argument("order", "recent")
        cursor = self.get_query_argument("cursor", None)
        hits, after = await self.services.search.search(
            self.user.id,
            q,
            conversation_id=self.get_query_argument("conversation_id", None) or None,
            sender_id=self.get_query_argument("from", None) or None,
            before=self.query_time("before"),
            after=self.query_time("after"),
            order=order,
            position=cursors.decode_search(cursor, order) if cursor else None,
            limit=self.limit(),
        )
        self.reply(
            {
                "messages": [{**serialize.message(h.message), "snippet": h.snippet} for h in hits],
                "next_cursor": cursors.encode_search(order, after) if after else None,
            }
        )
