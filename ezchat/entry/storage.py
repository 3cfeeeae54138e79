"""Builds the stores named by the config, wrapped in the order that keeps each layer honest:

    messages:       group commit -> cache -> guard -> adapter
    conversations:  pointer buffer -> cache -> guard -> adapter
    users:          cache -> guard -> adapter
    contacts:       guard -> adapter

A cache hit never takes the guard's semaphore; group commit writes through the cache so that
what it stores is what the cache shows. A cache whose size is 0 is left out of the stack (the
message wrapper stays while either the page cache or the conversation cache is on, as every
message write moves a cached conversation's counters)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from ezchat.adapters.batching import BatchedPresenceStore, GroupCommitMessageStore
from ezchat.adapters.caching import (
    CachedContactStore,
    CachedConversationStore,
    CachedMessageStore,
    CachedUserStore,
    Caches,
)
from ezchat.adapters.caching.sweeps import CachedSweepStore
from ezchat.adapters.memory import memory_stores
from ezchat.adapters.pointers import BufferedPointerStore
from ezchat.adapters.resilience import (
    GuardedAuditStore,
    GuardedContactStore,
    GuardedConversationStore,
    GuardedExportStore,
    GuardedFileRecordStore,
    GuardedIncomingHookStore,
    GuardedInviteStore,
    GuardedMessageStore,
    GuardedOutboxStore,
    GuardedPinStore,
    GuardedPushSubscriptionStore,
    GuardedReportStore,
    GuardedRevocationStore,
    GuardedScheduledStore,
    GuardedServerKeyStore,
    GuardedSweepStore,
    GuardedThreadStore,
    GuardedUserStore,
    GuardedWebhookStore,
    Policy,
    StoreGuard,
)
from ezchat.config import Config
from ezchat.entry.metrics import Metrics
from ezchat.ports.storage import (
    ContactStore,
    ConversationStore,
    MessageStore,
    Stores,
    UserStore,
)


def backend_stores(config: Config) -> Stores:
    """The raw adapters of ``STORAGE``; nothing is opened yet."""
    if config.storage == "sqlite":
        from ezchat.adapters.sqlite import sqlite_stores

        return sqlite_stores(config.database_path, synchronous=config.sqlite_synchronous.upper())
    if config.storage == "mongo":
        from ezchat.adapters.mongo import mongo_stores

        return mongo_stores(config)
    return memory_stores()


@dataclass
class StorageStack:
    stores: Stores
    guard: StoreGuard
    caches: Caches
    batcher: GroupCommitMessageStore
    pointers: BufferedPointerStore
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def start(self) -> None:
        """Open the backend, then the writers over it; ``aclose`` undoes exactly what started."""
        stack = AsyncExitStack()
        async with stack:
            # The client exists from construction (a thread, a connection pool): closed even
            # when opening fails.
            stack.push_async_callback(self.stores.aclose)
            await self.stores.start()
            # Closed before the store: queued messages and pointers are written first.
            await self.batcher.start()
            stack.push_async_callback(self.batcher.aclose)
            await self.pointers.start()
            stack.push_async_callback(self.pointers.aclose)
            self._stack = stack.pop_all()

    def figures(self) -> dict[str, Any]:
        c = self.caches
        sizes = c.sizes()
        batches = self.batcher.batches
        return {
            "caches": {
                name: {
                    "size": sizes[name],
                    "hits": st.hits,
                    "misses": st.misses,
                    "hit_ratio": st.ratio,
                }
                for name, st in c.stats.items()
            },
            "write_batches": {
                "batches": batches,
                "messages": self.batcher.batched_messages,
                "mean_size": round(self.batcher.batched_messages / batches, 2) if batches else None,
            },
            "pointer_flushes": self.pointers.flushes,
            "pointers_flushed": self.pointers.flushed_pointers,
        }

    async def aclose(self) -> None:
        """Queued messages and pending pointers are written before the store closes."""
        await self._stack.aclose()


def wrap_stores(config: Config, raw: Stores, metrics: Metrics | None = None) -> StorageStack:
    shared = StoreGuard(
        on_call=metrics.on_storage_call if metrics else None,
        limit=config.db_concurrency_limit,
        policy=Policy(
            attempts=config.db_retry_attempts,
            base_delay_s=config.db_retry_base_ms / 1000,
            slow_s=config.slow_db_ms / 1000,
        ),
    )
    caches = Caches(
        user_size=config.user_cache_size,
        user_ttl=config.user_cache_ttl,
        query_size=config.query_cache_size,
        query_ttl=config.query_cache_ttl,
        message_size=config.message_cache_size,
        message_ttl=config.message_cache_ttl,
    )
    users: UserStore = GuardedUserStore(raw.users, shared)
    if config.user_cache_size > 0:
        users = CachedUserStore(users, caches)
    users = BatchedPresenceStore(users)
    conversations: ConversationStore = GuardedConversationStore(raw.conversations, shared)
    if config.query_cache_size > 0:
        conversations = CachedConversationStore(conversations, caches)
    messages: MessageStore = GuardedMessageStore(raw.messages, shared)
    if config.query_cache_size > 0 or config.message_cache_size > 0:
        messages = CachedMessageStore(messages, caches)
    contacts: ContactStore = GuardedContactStore(raw.contacts, shared)
    if config.query_cache_size > 0:
        contacts = CachedContactStore(contacts, caches)
    batcher = GroupCommitMessageStore(
        messages,
        max_batch=config.message_batch_size,
        max_delay_s=config.message_batch_delay_ms / 1000,
        on_batch=metrics.on_batch if metrics else None,
    )
    pointers = BufferedPointerStore(conversations, flush_s=config.pointer_flush_ms / 1000)
    wrapped = replace(
        raw,
        users=users,
        contacts=contacts,
        revocations=GuardedRevocationStore(raw.revocations, shared),
        outbox=GuardedOutboxStore(raw.outbox, shared),
        push=GuardedPushSubscriptionStore(raw.push, shared),
        files=GuardedFileRecordStore(raw.files, shared),
        keys=GuardedServerKeyStore(raw.keys, shared),
        webhooks=GuardedWebhookStore(raw.webhooks, shared),
        incoming_hooks=GuardedIncomingHookStore(raw.incoming_hooks, shared),
        threads=GuardedThreadStore(raw.threads, shared),
        pins=GuardedPinStore(raw.pins, shared),
        scheduled=GuardedScheduledStore(raw.scheduled, shared),
        invites=GuardedInviteStore(raw.invites, shared),
        audit=GuardedAuditStore(raw.audit, shared),
        reports=GuardedReportStore(raw.reports, shared),
        sweeps=CachedSweepStore(GuardedSweepStore(raw.sweeps, shared), caches),
        exports=GuardedExportStore(raw.exports, shared),
        conversations=pointers,
        messages=batcher,
    )
    return StorageStack(wrapped, shared, caches, batcher, pointers)
