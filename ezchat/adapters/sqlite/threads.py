"""SQLite threads: replies found through the (conversation_id, thread_root, seq) index; follow
records in thread_follows, each change one statement (an upsert), so atomic."""

from __future__ import annotations

import sqlite3

from ezchat.adapters.codec import time_in
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.adapters.sqlite.messages import message_from_row
from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.threads import MAX_PARTICIPANTS, Follow, FollowedThread

_STANDING = "conversation_id = ? AND thread_root = ? AND deleted = 0"


def _follow_from(row: sqlite3.Row) -> Follow:
    return Follow(
        row["user_id"], row["conversation_id"], row["root_id"], bool(row["following"]),
        row["read_seq"],
    )  # fmt: skip


class SqliteThreadStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def summary(self, conversation_id: str, root_id: str) -> ThreadSummary:
        key = (conversation_id, root_id)

        def read(conn: sqlite3.Connection) -> ThreadSummary:
            count = conn.execute(f"SELECT count(*) FROM messages WHERE {_STANDING}", key)
            last = conn.execute(
                f"SELECT created_at FROM messages WHERE {_STANDING} ORDER BY seq DESC LIMIT 1", key
            ).fetchone()
            senders = conn.execute(
                f"SELECT sender_id FROM messages WHERE {_STANDING}"
                " GROUP BY sender_id ORDER BY min(seq) LIMIT ?",
                (*key, MAX_PARTICIPANTS),
            )
            return ThreadSummary(
                int(count.fetchone()[0]),
                time_in(last[0]) if last else None,
                tuple(r[0] for r in senders),
            )

        return await self._db.run(read)

    async def page(
        self,
        conversation_id: str,
        root_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        lo = after if after is not None else -1
        hi = before if before is not None else 2**62
        forward = after is not None

        def read(conn: sqlite3.Connection) -> tuple[list[Message], bool]:
            # The replies through their index, the root apart (it is older than all of them).
            root = conn.execute(
                "SELECT * FROM messages WHERE id = ? AND conversation_id = ? AND seq > ?"
                " AND seq < ?",
                (root_id, conversation_id, lo, hi),
            ).fetchall()
            replies = conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? AND thread_root = ?"
                f" AND seq > ? AND seq < ? ORDER BY seq {'ASC' if forward else 'DESC'} LIMIT ?",
                (conversation_id, root_id, lo, hi, limit + 1),
            ).fetchall()
            rows = root + replies if forward else replies + root
            picked = [message_from_row(r) for r in rows[:limit]]
            return (picked if forward else picked[::-1]), len(rows) > limit

        return await self._db.run(read)

    async def count_unread(
        self, conversation_id: str, root_id: str, user_id: str, after_seq: int
    ) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                f"SELECT count(*) FROM messages WHERE {_STANDING} AND seq > ? AND sender_id <> ?",
                (conversation_id, root_id, after_seq, user_id),
            ).fetchone()
            return int(row[0])

        return await self._db.run(read)

    async def _upsert(self, sql: str, params: tuple[object, ...]) -> Follow:
        def write(conn: sqlite3.Connection) -> Follow:
            with transaction(conn):
                conn.execute(sql, params)
                row = conn.execute(
                    "SELECT * FROM thread_follows WHERE user_id = ? AND conversation_id = ?"
                    " AND root_id = ?",
                    params[:3],
                ).fetchone()
            return _follow_from(row)

        return await self._db.run(write)

    async def follow(
        self, user_id: str, conversation_id: str, root_id: str, *, read_seq: int, renew: bool
    ) -> None:
        await self._upsert(
            "INSERT INTO thread_follows VALUES (?, ?, ?, 1, ?)"
            " ON CONFLICT DO UPDATE SET following = (following OR ?),"
            " read_seq = max(read_seq, excluded.read_seq)",
            (user_id, conversation_id, root_id, read_seq, int(renew)),
        )

    async def unfollow(self, user_id: str, conversation_id: str, root_id: str) -> None:
        await self._upsert(
            "INSERT INTO thread_follows VALUES (?, ?, ?, 0, 0)"
            " ON CONFLICT DO UPDATE SET following = 0",
            (user_id, conversation_id, root_id),
        )

    async def read(self, user_id: str, conversation_id: str, root_id: str, seq: int) -> Follow:
        return await self._upsert(
            "INSERT INTO thread_follows VALUES (?, ?, ?, 0, ?)"
            " ON CONFLICT DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)",
            (user_id, conversation_id, root_id, seq),
        )

    async def follows(self, conversation_id: str, root_id: str) -> list[Follow]:
        def read(conn: sqlite3.Connection) -> list[Follow]:
            rows = conn.execute(
                "SELECT * FROM thread_follows WHERE conversation_id = ? AND root_id = ?",
                (conversation_id, root_id),
            )
            return [_follow_from(r) for r in rows]

        return await self._db.run(read)

    async def followed(self, user_id: str) -> list[FollowedThread]:
        def read(conn: sqlite3.Connection) -> list[FollowedThread]:
            rows = conn.execute(
                "SELECT f.user_id, f.conversation_id, f.root_id, f.following, f.read_seq, m.*"
                " FROM thread_follows f JOIN messages m"
                " ON m.id = f.root_id AND m.conversation_id = f.conversation_id"
                " WHERE f.user_id = ? AND f.following = 1",
                (user_id,),
            )
            return [FollowedThread(_follow_from(r), message_from_row(r)) for r in rows]

        return await self._db.run(read)
