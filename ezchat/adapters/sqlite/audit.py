"""SQLite audit log: one row per entry, never updated."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.audit import AuditEntry

_COLUMNS = ("id", "at", "actor", "action", "target", "request_id", "detail")


class SqliteAuditStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def append(self, entry: AuditEntry) -> None:
        row = tuple(getattr(entry, c) for c in _COLUMNS)

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    f"INSERT INTO audit ({', '.join(_COLUMNS)}) VALUES (?,?,?,?,?,?,?)", row
                )

        await self._db.run(write)

    async def page(
        self,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        where: list[str] = ["1"]
        params: list[object] = []
        if before is not None:
            where.append("(at < ? OR (at = ? AND id < ?))")
            params += [before[0], before[0], before[1]]
        if actor is not None:
            where.append("actor = ?")
            params.append(actor)
        if action is not None:
            where.append("action = ?")
            params.append(action)

        def read(conn: sqlite3.Connection) -> list[AuditEntry]:
            rows = conn.execute(
                f"SELECT * FROM audit WHERE {' AND '.join(where)}"
                " ORDER BY at DESC, id DESC LIMIT ?",
                (*params, limit),
            )
            return [AuditEntry(*(r[c] for c in _COLUMNS)) for r in rows]

        return await self._db.run(read)
