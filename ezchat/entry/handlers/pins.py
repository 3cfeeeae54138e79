"""A conversation's pinned messages."""

from __future__ import annotations

from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler


class PinsHandler(ApiHandler):
    async def get(self, conversation_id: str) -> None:
        pinned = await self.services.pins.pinned(self.user.id, conversation_id)
        self.finish(f'{{"messages":{self.services.json.array(pinned)}}}')


class PinHandler(ApiHandler):
    async def put(self, conversation_id: str, message_id: str) -> None:
        await self._set(conversation_id, message_id, on=True)

    async def delete(self, conversation_id: str, message_id: str) -> None:
        await self._set(conversation_id, message_id, on=False)

    async def _set(self, conversation_id: str, message_id: str, *, on: bool) -> None:
        message = await self.services.pins.pin(self.user.id, conversation_id, message_id, on=on)
        self.reply(serialize.message(message))
