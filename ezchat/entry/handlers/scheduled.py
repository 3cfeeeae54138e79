"""The caller's scheduled messages."""

from __future__ import annotations

from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler


class ScheduledListHandler(ApiHandler):
    async def get(self) -> None:
        items = await self.services.scheduled.mine(self.user.id)
        self.reply({"scheduled": [serialize.scheduled(s) for s in items]})


class ScheduledHandler(ApiHandler):
    async def patch(self, item_id: str) -> None:
        body = self.body()
        text = body.optional_text("text")
        item = await self.services.scheduled.edit(
            self.user.id, item_id, text=text, send_at=body.optional_time("send_at")
        )
        self.reply({"scheduled": serialize.scheduled(item)})

    async def delete(self, item_id: str) -> None:
        await self.services.scheduled.cancel(self.user.id, item_id)
        self.no_content()
