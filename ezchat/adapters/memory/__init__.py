"""In-memory adapters: the development and test backend, and the reference behaviour."""

from ezchat.adapters.memory.bus import InProcessEventBus
from ezchat.adapters.memory.store import (
    MemoryContactStore,
    MemoryConversationStore,
    MemoryDatabase,
    MemoryMessageStore,
    MemoryUserStore,
    memory_stores,
)

__all__ = [
    "InProcessEventBus",
    "MemoryContactStore",
    "MemoryConversationStore",
    "MemoryDatabase",
    "MemoryMessageStore",
    "MemoryUserStore",
    "memory_stores",
]
