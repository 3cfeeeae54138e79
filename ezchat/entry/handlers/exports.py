"""Exports of one's own data: ``POST /api/users/me/export``, ``GET /api/users/me/exports``,
``GET|DELETE /api/users/me/exports/{id}`` (the zip once ready)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tornado.iostream import StreamClosedError

from ezchat.domain.errors import Conflict
from ezchat.domain.exports import Export, ExportStatus
from ezchat.entry.handlers.base import ApiHandler


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def export_json(e: Export) -> dict[str, Any]:
    return {
        "id": e.id,
        "status": e.status.value,
        "created_at": _time(e.created_at),
        "expires_at": _time(e.expires_at),
        "size": e.size if e.status is ExportStatus.READY else None,
        "error": e.error,
        "url": f"/api/users/me/exports/{e.id}",
    }


class ExportRequestHandler(ApiHandler):
    async def post(self) -> None:
        export = await self.services.exports.request(self.user.id)
        self.reply({"export": export_json(export)}, 202)


class ExportListHandler(ApiHandler):
    async def get(self) -> None:
        mine = await self.services.exports.mine(self.user.id)
        self.reply({"exports": [export_json(e) for e in mine]})


class ExportHandler(ApiHandler):
    async def get(self, export_id: str) -> None:
        export = await self.services.exports.get(self.user.id, export_id)
        if export.status is ExportStatus.PENDING:
            self.reply({"export": export_json(export)}, 202)
            return
        if export.status is ExportStatus.FAILED:
            raise Conflict("this export could not be built; ask for a new one")
        day = datetime.fromtimestamp(export.created_at, UTC).strftime("%Y-%m-%d")
        self.set_header("Content-Type", "application/zip")
        self.set_header(
            "Content-Disposition", f'attachment; filename="ezchat-export-{day}-{export.id}.zip"'
        )
        self.set_header("Content-Length", str(export.size))
        self.set_header("Cache-Control", "private, no-store")
        try:
            async for chunk in self.services.exports.read(export):
                self.write(chunk)
                await self.flush()
        except StreamClosedError:
            return  # the client went away
        self.finish()

    async def delete(self, export_id: str) -> None:
        await self.services.exports.delete(self.user.id, export_id)
        self.no_content()
