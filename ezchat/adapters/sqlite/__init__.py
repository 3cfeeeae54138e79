"""SQLite adapters: the embedded, durable default. stdlib sqlite3 in WAL mode on one dedicated
thread, so the event loop never waits on the disk."""

from __future__ import annotations

from pathlib import Path

from ezchat.adapters.sqlite.accounts import (
    SqliteContactStore,
    SqliteRevocationStore,
    SqliteUserStore,
)
from ezchat.adapters.sqlite.apps import SqliteServerKeyStore
from ezchat.adapters.sqlite.audit import SqliteAuditStore
from ezchat.adapters.sqlite.conversations import SqliteConversationStore
from ezchat.adapters.sqlite.db import SqliteDatabase
from ezchat.adapters.sqlite.exports import SqliteExportStore
from ezchat.adapters.sqlite.invites import SqliteInviteStore
from ezchat.adapters.sqlite.messages import SqliteMessageStore
from ezchat.adapters.sqlite.outbox import SqliteOutboxStore, SqlitePushSubscriptionStore
from ezchat.adapters.sqlite.pins import SqlitePinStore
from ezchat.adapters.sqlite.reports import SqliteReportStore
from ezchat.adapters.sqlite.scheduled import SqliteScheduledStore
from ezchat.adapters.sqlite.search import search_indexer
from ezchat.adapters.sqlite.sweeps import SqliteSweepStore
from ezchat.adapters.sqlite.threads import SqliteThreadStore
from ezchat.adapters.sqlite.uploads import SqliteFileRecordStore
from ezchat.adapters.sqlite.webhooks import SqliteIncomingHookStore, SqliteWebhookStore
from ezchat.ports.storage import Stores

__all__ = ["SqliteDatabase", "open_sqlite_stores", "sqlite_stores"]


async def open_sqlite_stores(path: str | Path, *, synchronous: str = "FULL") -> Stores:
    stores = sqlite_stores(path, synchronous=synchronous)
    await stores.start()
    return stores


def sqlite_stores(path: str | Path, *, synchronous: str = "FULL") -> Stores:
    """The stores over one database file; nothing is opened before ``open()``."""
    db = SqliteDatabase(path, synchronous=synchronous)
    indexer = search_indexer(db)

    async def ping() -> None:
        await db.run(lambda conn: conn.execute("SELECT 1").fetchone())

    async def start() -> None:
        await db.open()
        await indexer.start()

    async def aclose() -> None:
        await indexer.aclose()
        await db.close()

    return Stores(
        users=SqliteUserStore(db),
        contacts=SqliteContactStore(db),
        conversations=SqliteConversationStore(db),
        messages=SqliteMessageStore(db),
        revocations=SqliteRevocationStore(db),
        outbox=SqliteOutboxStore(db),
        push=SqlitePushSubscriptionStore(db),
        files=SqliteFileRecordStore(db),
        keys=SqliteServerKeyStore(db),
        webhooks=SqliteWebhookStore(db),
        incoming_hooks=SqliteIncomingHookStore(db),
        threads=SqliteThreadStore(db),
        pins=SqlitePinStore(db),
        scheduled=SqliteScheduledStore(db),
        invites=SqliteInviteStore(db),
        audit=SqliteAuditStore(db),
        reports=SqliteReportStore(db),
        sweeps=SqliteSweepStore(db),
        exports=SqliteExportStore(db),
        start=start,
        ping=ping,
        aclose=aclose,
    )
