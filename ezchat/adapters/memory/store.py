"""The memory stores over one shared database: the development and test backend, and the
reference behaviour of every storage port."""

from __future__ import annotations

from ezchat.adapters.memory.accounts import (
    MemoryContactStore,
    MemoryRevocationStore,
    MemoryUserStore,
)
from ezchat.adapters.memory.apps import MemoryServerKeyStore
from ezchat.adapters.memory.audit import MemoryAuditStore
from ezchat.adapters.memory.conversations import MemoryConversationStore
from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.adapters.memory.exports import MemoryExportStore
from ezchat.adapters.memory.files import MemoryFileRecordStore
from ezchat.adapters.memory.invites import MemoryInviteStore
from ezchat.adapters.memory.messages import MemoryMessageStore
from ezchat.adapters.memory.outbox import MemoryOutboxStore, MemoryPushSubscriptionStore
from ezchat.adapters.memory.pins import MemoryPinStore
from ezchat.adapters.memory.reports import MemoryReportStore
from ezchat.adapters.memory.scheduled import MemoryScheduledStore
from ezchat.adapters.memory.sweeps import MemorySweepStore
from ezchat.adapters.memory.threads import MemoryThreadStore
from ezchat.adapters.memory.webhooks import MemoryIncomingHookStore, MemoryWebhookStore
from ezchat.ports.storage import Stores

__all__ = [
    "MemoryContactStore",
    "MemoryConversationStore",
    "MemoryDatabase",
    "MemoryMessageStore",
    "MemoryUserStore",
    "memory_stores",
]


def memory_stores(db: MemoryDatabase | None = None) -> Stores:
    db = db if db is not None else MemoryDatabase()

    async def nothing() -> None:
        return None

    return Stores(
        users=MemoryUserStore(db),
        contacts=MemoryContactStore(db),
        conversations=MemoryConversationStore(db),
        messages=MemoryMessageStore(db),
        revocations=MemoryRevocationStore(db),
        outbox=MemoryOutboxStore(db),
        push=MemoryPushSubscriptionStore(db),
        files=MemoryFileRecordStore(db),
        keys=MemoryServerKeyStore(db),
        webhooks=MemoryWebhookStore(db),
        incoming_hooks=MemoryIncomingHookStore(db),
        threads=MemoryThreadStore(db),
        pins=MemoryPinStore(db),
        scheduled=MemoryScheduledStore(db),
        invites=MemoryInviteStore(db),
        audit=MemoryAuditStore(db),
        reports=MemoryReportStore(db),
        sweeps=MemorySweepStore(db),
        exports=MemoryExportStore(db),
        start=nothing,
        ping=nothing,
        aclose=nothing,
    )
