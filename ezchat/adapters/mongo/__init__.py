"""MongoDB adapters through Motor (default) or pymongo's AsyncMongoClient (MONGODB_DRIVER)."""

from __future__ import annotations

from ezchat.adapters.mongo.accounts import MongoContactStore, MongoUserStore
from ezchat.adapters.mongo.apps import MongoServerKeyStore
from ezchat.adapters.mongo.audit import MongoAuditStore
from ezchat.adapters.mongo.conversations import MongoConversationStore
from ezchat.adapters.mongo.db import (
    MongoDatabase,
    client_options,
    make_client,
    read_preference,
    translated,
)
from ezchat.adapters.mongo.exports import MongoExportStore
from ezchat.adapters.mongo.files import MongoFileRecordStore
from ezchat.adapters.mongo.invites import MongoInviteStore
from ezchat.adapters.mongo.messages import MongoMessageStore
from ezchat.adapters.mongo.outbox import MongoOutboxStore, MongoPushSubscriptionStore
from ezchat.adapters.mongo.pins import MongoPinStore
from ezchat.adapters.mongo.reports import MongoReportStore
from ezchat.adapters.mongo.revocations import MongoRevocationStore
from ezchat.adapters.mongo.scheduled import MongoScheduledStore
from ezchat.adapters.mongo.schema import upgrade
from ezchat.adapters.mongo.sweeps import MongoSweepStore
from ezchat.adapters.mongo.threads import MongoThreadStore
from ezchat.adapters.mongo.webhooks import MongoIncomingHookStore, MongoWebhookStore
from ezchat.config import Config
from ezchat.ports.storage import Stores

__all__ = [
    "MongoDatabase",
    "client_options",
    "make_client",
    "mongo_database",
    "mongo_stores",
    "stores_over",
]


def mongo_stores(config: Config) -> Stores:
    """The stores over MONGODB_URL / MONGODB_DB; the client connects on ``open()``."""
    return stores_over(mongo_database(config))


def mongo_database(config: Config) -> MongoDatabase:
    """A client of MONGODB_DRIVER with every pool and timeout setting of the config."""
    assert config.mongodb_url
    options = client_options(
        max_pool_size=config.mongodb_max_pool_size,
        min_pool_size=config.mongodb_min_pool_size,
        max_idle_time_ms=config.mongodb_max_idle_time_ms,
        socket_timeout_ms=config.mongodb_socket_timeout_ms,
        connect_timeout_ms=config.mongodb_connect_timeout_ms,
        server_selection_timeout_ms=config.mongodb_server_selection_timeout_ms,
        write_concern=config.mongodb_write_concern,
        journal=config.mongodb_journal,
        write_timeout_ms=config.mongodb_write_timeout_ms,
    )
    client = make_client(config.mongodb_url, config.mongodb_driver, options)
    reads = read_preference(config.mongodb_read_preference, config.mongodb_max_staleness_s)
    return MongoDatabase(client, config.mongodb_db, history_reads=reads)


def stores_over(db: MongoDatabase) -> Stores:
    async def open_() -> None:
        await db.open()
        await translated(upgrade)(db)

    return Stores(
        users=MongoUserStore(db),
        contacts=MongoContactStore(db),
        conversations=MongoConversationStore(db),
        messages=MongoMessageStore(db),
        revocations=MongoRevocationStore(db),
        outbox=MongoOutboxStore(db),
        push=MongoPushSubscriptionStore(db),
        files=MongoFileRecordStore(db),
        keys=MongoServerKeyStore(db),
        webhooks=MongoWebhookStore(db),
        incoming_hooks=MongoIncomingHookStore(db),
        threads=MongoThreadStore(db),
        pins=MongoPinStore(db),
        scheduled=MongoScheduledStore(db),
        invites=MongoInviteStore(db),
        audit=MongoAuditStore(db),
        reports=MongoReportStore(db),
        sweeps=MongoSweepStore(db),
        exports=MongoExportStore(db),
        start=open_,
        ping=db.ping,
        aclose=db.close,
    )
