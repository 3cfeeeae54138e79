"""The SQLite schema and its versions. ``PRAGMA user_version`` records the version of a file;
ordered, forward-only steps bring an older file to ``SCHEMA_VERSION`` when it is opened, all in
one write transaction, so that of several processes opening it at once one migrates and the
others wait, then find it done. A file newer than this code is refused, never touched.

A step is never edited once released: a schema change is a new step (and a test that upgrades a
database of the previous version, built from a stored copy, not from current code)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from ezchat.adapters.codec import clean_text
from ezchat.adapters.sqlite import steps
from ezchat.domain.errors import IncompatibleStorage

log = logging.getLogger(__name__)

# The tables as the first versioned release made them (version 0, before user_version was kept,
# had the same ones). Frozen: later changes are steps.
BASELINE = [
    """CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    avatar_url TEXT,
    status TEXT NOT NULL DEFAULT 'offline',
    last_seen TEXT,
    created_at TEXT NOT NULL,
    password_hash TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS contacts (
    owner_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (owner_id, user_id)
)""",
    """CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT,
    description TEXT,
    avatar_url TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    rev INTEGER NOT NULL DEFAULT 0,
    last_activity TEXT,
    direct_key TEXT UNIQUE
)""",
    """CREATE TABLE IF NOT EXISTS members (
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    read_seq INTEGER NOT NULL DEFAULT 0,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    pinned INTEGER NOT NULL DEFAULT 0,
    muted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
)""",
    """CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id)""",
    """CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    rev INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    text TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    reply_to TEXT,
    reactions TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    edited_at TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conversation_id, seq),
    UNIQUE (sender_id, client_id)
)""",
    """CREATE INDEX IF NOT EXISTS messages_by_rev ON messages (conversation_id, rev)""",
]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], object]


def _baseline(conn: sqlite3.Connection) -> None:
    for statement in BASELINE:
        conn.execute(statement)


def _clean(value: object) -> object:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(k): _clean(v) for k, v in value.items()}
    return value


def _repair_surrogates(conn: sqlite3.Connection) -> int:
    """JSON columns are the only place a lone surrogate can be stored (as an escape): text
    columns refuse it. Rewrite the rows holding one."""
    rows = conn.execute(
        "SELECT id, attachments, reactions FROM messages"
        " WHERE attachments LIKE '%\\ud%' OR reactions LIKE '%\\ud%'"
    ).fetchall()
    repaired = 0
    for row in rows:
        attachments, reactions = json.loads(row[1]), json.loads(row[2])
        clean_a, clean_r = _clean(attachments), _clean(reactions)
        if (clean_a, clean_r) != (attachments, reactions):
            conn.execute(
                "UPDATE messages SET attachments = ?, reactions = ? WHERE id = ?",
                (json.dumps(clean_a), json.dumps(clean_r), row[0]),
            )
            repaired += 1
    return repaired


def _step_1(conn: sqlite3.Connection) -> None:
    _baseline(conn)
    repaired = _repair_surrogates(conn)
    if repaired:
        log.warning("replaced unpaired surrogates in %d stored messages", repaired)


def _step_2(conn: sqlite3.Connection) -> None:
    for statement in (
        "ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN sessions_after REAL NOT NULL DEFAULT 0",
        "ALTER TABLE users ADD COLUMN session_kept TEXT",
        "CREATE TABLE revocations (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,"
        " user_id TEXT NOT NULL, at REAL NOT NULL, expires_at REAL NOT NULL, token_id TEXT,"
        " kept TEXT)",
    ):
        conn.execute(statement)


def _step_5(conn: sqlite3.Connection) -> None:
    for statement in (
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, user_id TEXT NOT NULL,"
        " conversation_id TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
        " count INTEGER NOT NULL, state TEXT NOT NULL, next_at REAL NOT NULL,"
        " created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
        " lease_until REAL NOT NULL DEFAULT 0, lease_token TEXT,"
        " done TEXT NOT NULL DEFAULT '[]', last_error TEXT)",
        # At most one open entry per user and conversation: the one later messages join.
        "CREATE UNIQUE INDEX outbox_open ON outbox (user_id, conversation_id) WHERE state = 'open'",
        "CREATE INDEX outbox_due ON outbox (next_at) WHERE state != 'dead'",
        "CREATE TABLE push_subscriptions (endpoint TEXT PRIMARY KEY, user_id TEXT NOT NULL,"
        " p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at TEXT NOT NULL,"
        " position INTEGER NOT NULL)",
        "CREATE INDEX push_by_user ON push_subscriptions (user_id, position)",
    ):
        conn.execute(statement)


# The full-text index: external content (the text is stored once, in messages). unicode61 with
# diacritics removed: "cafe" finds "café". The conversation and the sender are indexed too, so
# a search is narrowed to the caller's conversations inside the index.
#
# A new message is only queued (messages_unindexed, one small row): indexing a few messages per
# write transaction costs FTS5 a segment each time and halved group-commit throughput, so they
# are indexed in bulk, every fraction of a second and before any search (adapters/sqlite/
# search.py). Changes and deletes of indexed messages go into the index at once; of queued
# ones, the queue (the indexer reads the text as it is then).
FTS = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5(text, conversation_id, sender_id,"
    " content='messages', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TABLE messages_unindexed (rowid INTEGER PRIMARY KEY)",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_unindexed (rowid) VALUES (new.rowid); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, text, conversation_id, sender_id)"
    " SELECT 'delete', old.rowid, old.text, old.conversation_id, old.sender_id"
    " WHERE NOT EXISTS (SELECT 1 FROM messages_unindexed WHERE rowid = old.rowid);"
    " DELETE FROM messages_unindexed WHERE rowid = old.rowid; END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages"
    " WHEN old.text IS NOT new.text"
    " AND NOT EXISTS (SELECT 1 FROM messages_unindexed WHERE rowid = old.rowid) BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, text, conversation_id, sender_id)"
    " VALUES ('delete', old.rowid, old.text, old.conversation_id, old.sender_id);"
    " INSERT INTO messages_fts (rowid, text, conversation_id, sender_id)"
    " VALUES (new.rowid, new.text, new.conversation_id, new.sender_id); END",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
]


def _step_6(conn: sqlite3.Connection) -> None:
    for statement in FTS:
        conn.execute(statement)


def _step_7(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE push_subscriptions ADD COLUMN token_id TEXT")
    conn.execute("ALTER TABLE push_subscriptions ADD COLUMN issued_at REAL NOT NULL DEFAULT 0")


MIGRATIONS = [
    Migration(1, "tables; unpaired surrogates in stored JSON become U+FFFD", _step_1),
    Migration(2, "users: disabled, sessions cut-off; the revocation feed", _step_2),
    Migration(
        3,
        "messages: mentions",
        lambda conn: conn.execute(
            "ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]'"
        ),
    ),
    Migration(
        4,
        "members: notify",
        lambda conn: conn.execute("ALTER TABLE members ADD COLUMN notify TEXT"),
    ),
    Migration(5, "the notification outbox; Web Push subscriptions", _step_5),
    Migration(6, "messages: the full-text index (FTS5), built from what is stored", _step_6),
    Migration(7, "push subscriptions: the session that made each", _step_7),
    Migration(8, "uploaded files, and the messages that carry them", steps.step_8),
    Migration(9, "users: the external id an app knows them by, bots; server keys", steps.step_9),
    Migration(10, "event webhooks and their deliveries; incoming webhooks", steps.step_10),
    Migration(
        11,
        "messages: the earlier texts of edited ones",
        lambda conn: conn.execute(
            "ALTER TABLE messages ADD COLUMN history TEXT NOT NULL DEFAULT '[]'"
        ),
    ),
    Migration(
        12,
        "messages: where a forwarded one was copied from",
        lambda conn: conn.execute("ALTER TABLE messages ADD COLUMN forwarded_from TEXT"),
    ),
    Migration(13, "messages: threads (root, summary); who follows which thread", steps.step_13),
    Migration(14, "messages: pins; conversations: who may pin, how many are", steps.step_14),
    Migration(15, "scheduled messages", steps.step_15),
    Migration(16, "messages: link previews", steps.step_16),
    Migration(17, "users: server admins", steps.step_17),
    Migration(18, "invites", steps.step_18),
    Migration(19, "the audit log", steps.step_19),
    Migration(20, "reports", steps.step_20),
    Migration(21, "users: deleted accounts", steps.step_21),
    Migration(
        22,
        "messages: indexes of standing ones; conversations: retention; exports",
        steps.step_22,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1].version
assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1)), "steps in order"


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending(conn: sqlite3.Connection) -> list[Migration]:
    """The steps this file lacks. ``IncompatibleStorage`` when it is newer than this code."""
    version = version_of(conn)
    if version > SCHEMA_VERSION:
        raise IncompatibleStorage(
            f"the database is at schema version {version}, newer than this EZChat "
            f"({SCHEMA_VERSION}): run the newer release, or restore a backup"
        )
    return [m for m in MIGRATIONS if m.version > version]


def upgrade(conn: sqlite3.Connection) -> list[Migration]:
    """Apply the pending steps in one write transaction; what was applied."""
    if not pending(conn):
        return []
    conn.execute("BEGIN IMMEDIATE")  # waits (busy timeout) while another process migrates
    try:
        steps = pending(conn)  # again, now holding the lock: another process may be done
        for step in steps:
            log.info("sqlite schema: applying %d (%s)", step.version, step.description)
            step.apply(conn)
            conn.execute(f"PRAGMA user_version = {step.version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return steps
