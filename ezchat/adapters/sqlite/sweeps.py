"""SQLite sweeps: a batch of tombstones is one transaction over the partial indexes of
standing messages (``messages_standing``, ``messages_by_sender``), so a sweep never walks the
tombstones it left before and each batch holds the writer only for its own rows."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime

from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.adapters.sqlite.messages import message_from_row
from ezchat.adapters.tombstones import older_first
from ezchat.domain.messages import Message

_TOMBSTONE = (
    "UPDATE messages SET rev = ?, text = '', attachments = '[]', reactions = '[]',"
    " mentions = '[]', deleted = 1, forwarded_from = NULL, pinned_at = NULL, pinned_by = NULL,"
    " previews = '[]', history = '[]' WHERE id = ?"
)


class SqliteSweepStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def conversations(
        self, *, after: str, limit: int, own_only: bool
    ) -> list[tuple[str, int | None]]:
        own = " AND retention_days IS NOT NULL" if own_only else ""

        def read(conn: sqlite3.Connection) -> list[tuple[str, int | None]]:
            rows = conn.execute(
                f"SELECT id, retention_days FROM conversations WHERE id > ?{own}"
                " ORDER BY id LIMIT ?",
                (after, limit),
            )
            return [(r["id"], r["retention_days"]) for r in rows]

        return await self._db.run(read)

    async def by_sender(
        self, sender_id: str, *, after: tuple[str, int] | None, limit: int
    ) -> list[Message]:
        conv, seq = after if after is not None else ("", -1)

        def read(conn: sqlite3.Connection) -> list[Message]:
            rows = conn.execute(
                "SELECT * FROM messages INDEXED BY messages_by_sender"
                " WHERE sender_id = ? AND deleted = 0 AND (conversation_id, seq) > (?, ?)"
                " ORDER BY conversation_id, seq LIMIT ?",
                (sender_id, conv, seq, limit),
            ).fetchall()
            return [message_from_row(r) for r in rows]

        return await self._db.run(read)

    async def erase(
        self,
        conversation_id: str,
        *,
        limit: int,
        before: datetime | None = None,
        sender_id: str | None = None,
    ) -> list[tuple[Message, Message]]:
        def write(conn: sqlite3.Connection) -> list[tuple[Message, Message]]:
            with transaction(conn):
                if sender_id is None:
                    rows = conn.execute(
                        "SELECT * FROM messages INDEXED BY messages_standing"
                        " WHERE conversation_id = ? AND deleted = 0 ORDER BY seq LIMIT ?",
                        (conversation_id, limit),
                    ).fetchall()
                else:
                    rows = conn.execute(
                        "SELECT * FROM messages INDEXED BY messages_by_sender"
                        " WHERE sender_id = ? AND conversation_id = ? AND deleted = 0"
                        " ORDER BY seq LIMIT ?",
                        (sender_id, conversation_id, limit),
                    ).fetchall()
                picked = older_first((message_from_row(r) for r in rows), before)
                if not picked:
                    return []
                conv = conn.execute(
                    "SELECT rev FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                if conv is None:
                    return []
                rev = conv["rev"]
                out = []
                for m in picked:
                    rev += 1
                    conn.execute(_TOMBSTONE, (rev, m.id))
                    out.append((m, replace(m.tombstone(), rev=rev)))
                conn.executemany(
                    "DELETE FROM message_files WHERE message_id = ?", [(m.id,) for m in picked]
                )
                conn.execute(
                    "UPDATE conversations SET rev = ? WHERE id = ?", (rev, conversation_id)
                )
            return out

        return await self._db.run(write)
