"""SQLite reports: one per (message, reporter) by a unique index; resolving is one conditional
UPDATE of an open report."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.codec_records import report_in, report_out
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.reports import Report, ReportStatus, Resolution

_COLUMNS = (
    "id", "conversation_id", "message_id", "reporter_id", "sender_id", "text", "reason",
    "category", "created_at", "status", "resolved_by", "resolved_at", "action",
)  # fmt: skip


class SqliteReportStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(self, report: Report) -> tuple[Report, bool]:
        row = report_out(report)

        def write(conn: sqlite3.Connection) -> tuple[Report, bool]:
            with transaction(conn):
                cur = conn.execute(
                    f"INSERT INTO reports ({', '.join(_COLUMNS)}) VALUES"
                    f" ({', '.join('?' for _ in _COLUMNS)})"
                    " ON CONFLICT (message_id, reporter_id) DO NOTHING",
                    tuple(row[c] for c in _COLUMNS),
                )
                found = conn.execute(
                    "SELECT * FROM reports WHERE message_id = ? AND reporter_id = ?",
                    (report.message_id, report.reporter_id),
                ).fetchone()
            return report_in(found), cur.rowcount == 1

        return await self._db.run(write)

    async def get(self, report_id: str) -> Report | None:
        def read(conn: sqlite3.Connection) -> Report | None:
            row = conn.execute("SELECT * FROM reports WHERE id = ?", (report_id,)).fetchone()
            return report_in(row) if row else None

        return await self._db.run(read)

    async def page(
        self, *, status: ReportStatus | None, before: tuple[float, str] | None, limit: int
    ) -> list[Report]:
        where: list[str] = ["1"]
        params: list[object] = []
        if status is not None:
            where.append("status = ?")
            params.append(status.value)
        if before is not None:
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [before[0], before[0], before[1]]

        def read(conn: sqlite3.Connection) -> list[Report]:
            rows = conn.execute(
                f"SELECT * FROM reports WHERE {' AND '.join(where)}"
                " ORDER BY created_at DESC, id DESC LIMIT ?",
                (*params, limit),
            )
            return [report_in(r) for r in rows]

        return await self._db.run(read)

    async def resolve(
        self, report_id: str, *, by: str, action: Resolution, at: float
    ) -> Report | None:
        def write(conn: sqlite3.Connection) -> Report | None:
            with transaction(conn):
                row = conn.execute(
                    "UPDATE reports SET status = 'resolved', resolved_by = ?, resolved_at = ?,"
                    " action = ? WHERE id = ? AND status = 'open' RETURNING *",
                    (by, at, action.value, report_id),
                ).fetchone()
            return report_in(row) if row else None

        return await self._db.run(write)
