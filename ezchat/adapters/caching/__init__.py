"""TTL caches as wrappers of the store ports: each wrapper subclasses its port's forwarding
base and shows only the reads it answers and the writes it follows. Every write through them
updates or drops what it changes; writes of other processes arrive as bus events
(``apply_remote``); a read that raced a change is never kept (``KeyedCache``)."""

from ezchat.adapters.caching.caches import Caches
from ezchat.adapters.caching.contacts import CachedContactStore
from ezchat.adapters.caching.conversations import CachedConversationStore
from ezchat.adapters.caching.keyed import Counter, KeyedCache
from ezchat.adapters.caching.messages import CachedMessageStore
from ezchat.adapters.caching.remote import apply_remote
from ezchat.adapters.caching.users import CachedUserStore

__all__ = [
    "CachedContactStore",
    "CachedConversationStore",
    "CachedMessageStore",
    "CachedUserStore",
    "Caches",
    "Counter",
    "KeyedCache",
    "apply_remote",
]
