"""SQLite message search through the FTS5 index (schema step 6), and the indexer that brings
queued messages into it in bulk."""

from __future__ import annotations

import logging
import sqlite3

from ezchat.adapters.codec import message_in, time_out
from ezchat.adapters.sqlite.db import SqliteDatabase, transaction
from ezchat.domain.messages import Message
from ezchat.domain.search import (
    Order,
    SearchQuery,
    bad_position,
    next_offset,
    offset_of,
    words,
)
from ezchat.periodic import Periodic

log = logging.getLogger(__name__)

# Queued messages indexed in one transaction, and how often the queue is looked at.
INDEX_BATCH = 20_000
INDEX_EVERY_S = 0.5


def index_queued(conn: sqlite3.Connection) -> int:
    """Move queued messages into the index, one write transaction (of several processes, one
    at a time takes each message); how many."""
    with transaction(conn):
        last = conn.execute(
            "SELECT max(rowid) FROM (SELECT rowid FROM messages_unindexed ORDER BY rowid LIMIT ?)",
            (INDEX_BATCH,),
        ).fetchone()[0]
        if last is None:
            return 0
        done = conn.execute(
            "INSERT INTO messages_fts (rowid, text, conversation_id, sender_id)"
            " SELECT m.rowid, m.text, m.conversation_id, m.sender_id"
            " FROM messages_unindexed u CROSS JOIN messages m ON m.rowid = u.rowid"
            " WHERE u.rowid <= ?",
            (last,),
        ).rowcount
        conn.execute("DELETE FROM messages_unindexed WHERE rowid <= ?", (last,))
    return int(done)


def index_all_queued(conn: sqlite3.Connection) -> None:
    """Before a search: what was stored is found, indexed or not yet."""
    if conn.execute("SELECT EXISTS (SELECT 1 FROM messages_unindexed)").fetchone()[0]:
        while index_queued(conn) >= INDEX_BATCH:
            pass


def search_indexer(db: SqliteDatabase, every_s: float = INDEX_EVERY_S) -> Periodic:
    """Indexes queued messages every ``every_s`` on the database's thread."""
    return Periodic(
        lambda: db.run(index_all_queued), every_s=every_s, name="search indexer", log=log
    )


# Conversations named in one MATCH; a user in more is searched a chunk at a time.
MAX_IDS_PER_MATCH = 500


def _quoted(words: tuple[str, ...]) -> str:
    """FTS5 string: the words hold only letters and digits, so no quote can close it early."""
    return '"' + " ".join(words) + '"'


def fts_match(conversation_ids: list[str], query: SearchQuery) -> str:
    """The MATCH expression: every word as a prefix, every phrase as it is, in the text column;
    the conversations (and the sender) in theirs. Built from words only: any user input is a
    plain search, never FTS5 syntax."""
    terms = [f"text : {_quoted((w,))}*" for w in query.words]
    terms += [f"text : {_quoted(p)}" for p in query.phrases]
    ids = " OR ".join(_quoted(tuple(words(c))) for c in conversation_ids)
    terms.append(f"conversation_id : ({ids})")
    if query.sender_id is not None:
        terms.append(f"sender_id : {_quoted(tuple(words(query.sender_id)))}")
    return " AND ".join(terms)


def _rowid_of(position: str) -> int:
    if not position.isdigit() or len(position) > 19:
        raise bad_position()
    return int(position)


async def search_messages(
    db: SqliteDatabase, conversation_ids: list[str], query: SearchQuery, limit: int
) -> tuple[list[Message], str | None]:
    """Through the FTS5 index, narrowed to the conversations inside it; newest first walks
    the index backwards by rowid (the order messages were stored) and stops at ``limit``."""
    q = query
    if q.empty or not conversation_ids:
        return [], None
    relevance = q.order is Order.RELEVANCE
    start = offset_of(q.position) if relevance else 0
    below = None if relevance or q.position is None else _rowid_of(q.position)
    filters: list[str] = ["m.deleted = 0"]
    params: list[object] = []
    if q.before is not None:
        filters.append("m.created_at < ?")
        params.append(time_out(q.before))
    if q.after is not None:
        filters.append("m.created_at > ?")
        params.append(time_out(q.after))
    if below is not None:
        filters.append("f.rowid < ?")
        params.append(below)
    rank = "bm25(messages_fts, 1.0, 0.0, 0.0)" if relevance else "0"
    order = "rank, f.rowid DESC" if relevance else "f.rowid DESC"
    sql = (
        f"SELECT m.*, f.rowid AS position, {rank} AS rank FROM messages_fts f"
        " CROSS JOIN messages m ON m.rowid = f.rowid"
        f" WHERE messages_fts MATCH ? AND {' AND '.join(filters)}"
        f" ORDER BY {order} LIMIT ? OFFSET ?"
    )

    def read(conn: sqlite3.Connection) -> list[tuple[Message, int]]:
        # What was stored is found, indexed yet or not; if another process holds the write lock
        # past the busy timeout, the answer comes from the index as it is.
        try:
            index_all_queued(conn)
        except sqlite3.OperationalError as exc:
            log.info("searching without indexing the queue first: %s", exc)
        if len(conversation_ids) <= MAX_IDS_PER_MATCH:
            rows = conn.execute(
                sql, (fts_match(conversation_ids, q), *params, limit + 1, start)
            ).fetchall()
            return [(message_in(r, r["id"]), r["position"]) for r in rows]
        # Very many conversations: a query per chunk, merged in the same order.
        found: list[tuple[float, int, Message]] = []
        for i in range(0, len(conversation_ids), MAX_IDS_PER_MATCH):
            chunk = conversation_ids[i : i + MAX_IDS_PER_MATCH]
            rows = conn.execute(
                sql, (fts_match(chunk, q), *params, start + limit + 1, 0)
            ).fetchall()
            found.extend((r["rank"], -r["position"], message_in(r, r["id"])) for r in rows)
        found.sort(key=lambda hit: (hit[0], hit[1]))
        return [(m, -neg) for _, neg, m in found[start:]]

    hits = await db.run(read)
    page = [m for m, _ in hits[:limit]]
    more = len(hits) > limit
    if relevance:
        return page, next_offset(start, limit, more)
    return page, str(hits[limit - 1][1]) if more else None
