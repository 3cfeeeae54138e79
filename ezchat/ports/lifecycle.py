"""The lifecycle every long-lived part shares: started once before use, closed once after.

The composition root starts parts in order and registers each part's ``aclose`` as soon as the
part has started, so stopping is the mirror of starting by construction and a part that never
started is never closed. Parts with nothing to do implement both as no-ops."""

from __future__ import annotations

from typing import Protocol


class Lifecycle(Protocol):
    async def start(self) -> None:
        """Connect, spawn background tasks; called once, before any other method."""

    async def aclose(self) -> None:
        """Finish what is pending, stop tasks, release connections and threads."""
