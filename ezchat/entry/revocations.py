"""The revocation feed, read by every server: revocations written by another process without a
broker, or by the admin command, take effect here within ``REVOCATION_POLL_S``: the revoked
token set, the cached user record, and open connections."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ezchat.domain.access import Revocation
from ezchat.periodic import Periodic
from ezchat.ports.clock import Clock
from ezchat.ports.storage import RevocationStore
from ezchat.services.auth import RevokedTokens

log = logging.getLogger(__name__)


class RevocationFeed:
    def __init__(
        self,
        store: RevocationStore,
        *,
        revoked: RevokedTokens,
        clock: Clock,
        poll_s: float,
        apply: Callable[[Revocation], None],
    ) -> None:
        """``apply``: what else a revocation changes here (cached users, connections)."""
        self._store = store
        self._revoked = revoked
        self._clock = clock
        self._apply = apply
        self._position = 0
        self._poller = Periodic(self.read, every_s=poll_s, name="revocation feed", log=log)

    async def start(self) -> None:
        now = self._clock.now().timestamp()
        self._position = await self._store.position()
        for revocation in await self._store.active(now):
            self._revoked.add(revocation, now=now)
        await self._poller.start()

    async def aclose(self) -> None:
        await self._poller.aclose()

    async def read(self) -> int:
        """Apply what was added since the last read; how many."""
        found, self._position = await self._store.after(self._position)
        now = self._clock.now().timestamp()
        for revocation in found:
            self._revoked.add(revocation, now=now)
            self._apply(revocation)
        return len(found)
