"""SQLite messages. seq and rev come from the conversation row inside a write transaction, so
they stay strictly increasing across threads and processes sharing the file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ezchat.adapters.codec import (
    attachments_out,
    forward_out,
    message_in,
    previews_out,
    reactions_out,
    thread_out,
    time_out,
    version_in,
    version_out,
)
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.adapters.sqlite.outbox import open_notifications
from ezchat.adapters.sqlite.search import search_messages
from ezchat.domain.errors import EzChatError, InvalidRequest, NotFound, StaleWrite
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Message, NewMessage, Version, file_ids_of
from ezchat.domain.search import SearchQuery


def _json_or_null(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def message_from_row(row: sqlite3.Row) -> Message:
    return message_in(row, row["id"])


def _insert(conn: sqlite3.Connection, new: NewMessage) -> tuple[Message, bool]:
    """Inside a transaction: the message as stored, and whether it is new."""
    row = conn.execute(
        "SELECT * FROM messages WHERE sender_id = ? AND client_id = ?",
        (new.sender_id, new.client_id),
    ).fetchone()
    if row is not None:
        return message_from_row(row), False
    conv = conn.execute(
        "SELECT last_seq, rev FROM conversations WHERE id = ?", (new.conversation_id,)
    ).fetchone()
    if conv is None:
        raise NotFound("conversation not found")
    message = new.stored(id=new_id(), seq=conv["last_seq"] + 1, rev=conv["rev"] + 1)
    conn.execute(
        "INSERT INTO messages (id, conversation_id, seq, rev, client_id, sender_id, text,"
        " attachments, reply_to, reactions, created_at, mentions, forwarded_from, thread_root)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            message.id,
            message.conversation_id,
            message.seq,
            message.rev,
            message.client_id,
            message.sender_id,
            message.text,
            json.dumps(attachments_out(message.attachments)),
            message.reply_to,
            "[]",
            time_out(message.created_at),
            json.dumps(list(message.mentions)),
            _json_or_null(forward_out(message.forwarded_from)),
            message.thread_root,
        ),
    )
    conn.execute(
        "UPDATE conversations SET last_seq = ?, rev = ?, last_activity = ? WHERE id = ?",
        (message.seq, message.rev, time_out(message.created_at), message.conversation_id),
    )
    open_notifications(conn, new.notifications(message))
    if message.attachments:
        _refer(conn, message)
    return message, True


def _refer(conn: sqlite3.Connection, m: Message) -> None:
    """The uploaded files the message carries as stored (none once it is deleted)."""
    conn.executemany(
        "INSERT OR IGNORE INTO message_files (file_id, conversation_id, message_id) VALUES (?,?,?)",
        [(f, m.conversation_id, m.id) for f in file_ids_of(m.attachments)],
    )


def refused(exc: Exception) -> InvalidRequest:
    """The error of one item the store would not take; the rest of its batch goes on."""
    detail = str(exc) if isinstance(exc, sqlite3.IntegrityError) else type(exc).__name__
    return InvalidRequest(f"message refused by the store: {detail}")


class SqliteMessageStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def add(
        self, new: NewMessage, *, on_queued: Callable[[], None] | None = None
    ) -> tuple[Message, bool]:
        result = (await self.add_many([new]))[0]
        if isinstance(result, EzChatError):
            raise result
        return result

    async def add_many(
        self, news: Sequence[NewMessage]
    ) -> list[tuple[Message, bool] | EzChatError]:
        """One transaction, one fsync, for the whole batch; each item in a savepoint of its own,
        so that a bad item is rolled back alone."""

        def write(conn: sqlite3.Connection) -> list[tuple[Message, bool] | EzChatError]:
            out: list[tuple[Message, bool] | EzChatError] = []
            with transaction(conn):
                for new in news:
                    conn.execute("SAVEPOINT item")
                    try:
                        out.append(_insert(conn, new))
                    except EzChatError as exc:
                        conn.execute("ROLLBACK TO item")
                        out.append(exc)
                    except sqlite3.OperationalError:
                        raise  # the database (locked, I/O), not this item: the write fails
                    except Exception as exc:  # this item alone: unencodable, constraint...
                        conn.execute("ROLLBACK TO item")
                        out.append(refused(exc))
                    conn.execute("RELEASE item")
            return out

        return await self._db.run(write)

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        def read(conn: sqlite3.Connection) -> Message | None:
            row = conn.execute(
                "SELECT * FROM messages WHERE id = ? AND conversation_id = ?",
                (message_id, conversation_id),
            ).fetchone()
            return message_from_row(row) if row else None

        return await self._db.run(read)

    async def replace(
        self, message: Message, *, expected_rev: int, earlier: Version | None = None
    ) -> Message:
        m = message
        kept = None if earlier is None else json.dumps(version_out(earlier))

        def write(conn: sqlite3.Connection) -> Message:
            with transaction(conn):
                conv = conn.execute(
                    "SELECT rev FROM conversations WHERE id = ?", (m.conversation_id,)
                ).fetchone()
                if conv is None:
                    raise NotFound("message not found")
                rev = conv["rev"] + 1
                cur = conn.execute(
                    "UPDATE messages SET rev = ?, text = ?, attachments = ?, reactions = ?,"
                    " edited_at = ?, deleted = ?, mentions = ?, forwarded_from = ?, thread = ?,"
                    " pinned_at = ?, pinned_by = ?, previews = ?,"
                    " history = CASE WHEN ? THEN '[]' WHEN ? IS NULL THEN history"
                    "  ELSE json_insert(history, '$[#]', json(?)) END"
                    " WHERE id = ? AND conversation_id = ? AND rev = ?",
                    (
                        rev,
                        m.text,
                        json.dumps(attachments_out(m.attachments)),
                        json.dumps(reactions_out(m.reactions)),
                        time_out(m.edited_at),
                        int(m.deleted),
                        json.dumps(list(m.mentions)),
                        _json_or_null(forward_out(m.forwarded_from)),
                        _json_or_null(thread_out(m.thread)),
                        time_out(m.pinned_at),
                        m.pinned_by,
                        json.dumps(previews_out(m.previews)),
                        int(m.deleted),
                        kept,
                        kept,
                        m.id,
                        m.conversation_id,
                        expected_rev,
                    ),
                )
                if cur.rowcount == 0:
                    exists = conn.execute(
                        "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?",
                        (m.id, m.conversation_id),
                    ).fetchone()
                    if exists is None:
                        raise NotFound("message not found")
                    raise StaleWrite("the message changed since it was read")
                conn.execute(
                    "UPDATE conversations SET rev = ? WHERE id = ?", (rev, m.conversation_id)
                )
                conn.execute("DELETE FROM message_files WHERE message_id = ?", (m.id,))
                _refer(conn, m)
                row = conn.execute("SELECT * FROM messages WHERE id = ?", (m.id,)).fetchone()
            return message_from_row(row)

        return await self._db.run(write)

    async def history(self, conversation_id: str, message_id: str) -> list[Version]:
        def read(conn: sqlite3.Connection) -> list[Version]:
            row = conn.execute(
                "SELECT history FROM messages WHERE id = ? AND conversation_id = ?",
                (message_id, conversation_id),
            ).fetchone()
            return [version_in(v) for v in json.loads(row["history"])] if row else []

        return await self._db.run(read)

    async def page(
        self, conversation_id: str, *, before: int | None, after: int | None, limit: int
    ) -> tuple[list[Message], bool]:
        lo = after if after is not None else -1
        hi = before if before is not None else 2**62

        def read(conn: sqlite3.Connection) -> tuple[list[Message], bool]:
            forward = after is not None
            rows = conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? AND seq < ?"
                f" ORDER BY seq {'ASC' if forward else 'DESC'} LIMIT ?",
                (conversation_id, lo, hi, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            picked = [message_from_row(r) for r in rows[:limit]]
            return (picked if forward else picked[::-1]), more

        return await self._db.run(read)

    async def changed_since(
        self, conversation_id: str, rev: int, limit: int
    ) -> tuple[list[Message], bool]:
        def read(conn: sqlite3.Connection) -> tuple[list[Message], bool]:
            rows = conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? AND rev > ? ORDER BY rev LIMIT ?",
                (conversation_id, rev, limit + 1),
            ).fetchall()
            return [message_from_row(r) for r in rows[:limit]], len(rows) > limit

        return await self._db.run(read)

    async def last_messages(self, conversation_ids: list[str]) -> dict[str, Message]:
        if not conversation_ids:
            return {}

        def read(conn: sqlite3.Connection) -> dict[str, Message]:
            out = {}
            for cid in conversation_ids:
                row = conn.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
                    (cid,),
                ).fetchone()
                if row is not None:
                    out[cid] = message_from_row(row)
            return out

        return await self._db.run(read)

    async def count_unread(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ?"
                " AND sender_id <> ? AND deleted = 0",
                (conversation_id, after_seq, user_id),
            ).fetchone()
            return int(row[0])

        return await self._db.run(read)

    async def count_mentions(self, conversation_id: str, user_id: str, after_seq: int) -> int:
        def read(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ?"
                " AND sender_id <> ? AND deleted = 0 AND instr(mentions, ?) > 0",
                (conversation_id, after_seq, user_id, json.dumps(user_id)),
            ).fetchone()
            return int(row[0])

        return await self._db.run(read)

    async def search(
        self, conversation_ids: list[str], query: SearchQuery, limit: int
    ) -> tuple[list[Message], str | None]:
        return await search_messages(self._db, conversation_ids, query, limit)

    async def conversations_with_file(self, file_id: str) -> list[str]:
        def read(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT DISTINCT conversation_id FROM message_files WHERE file_id = ?"
                " ORDER BY conversation_id",
                (file_id,),
            )
            return [r[0] for r in rows]

        return await self._db.run(read)
