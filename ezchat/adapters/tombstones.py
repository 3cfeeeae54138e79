"""What the sweep stores share: which of the oldest standing messages a time-bound sweep takes,
and tombstoning one by one through a message store's own conditional replace (for the stores
without a transaction to batch them in)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ezchat.domain.errors import NotFound, StaleWrite
from ezchat.domain.messages import Message
from ezchat.ports.storage import MessageStore


def older_first(candidates: Iterable[Message], before: datetime | None) -> list[Message]:
    """The candidates (oldest first) up to the first sent at or after ``before``."""
    out = []
    for m in candidates:
        if before is not None and m.created_at >= before:
            break
        out.append(m)
    return out


async def tombstone_each(
    store: MessageStore, picked: list[Message]
) -> list[tuple[Message, Message]]:
    out = []
    for m in picked:
        try:
            out.append((m, await store.replace(m.tombstone(), expected_rev=m.rev)))
        except (StaleWrite, NotFound):
            continue  # changed or gone meanwhile: the next sweep sees it as it is now
    return out
