"""Appending to the audit log. An entry is written after the change it records; when the store
refuses it the change stands (it is done) and the failure is logged as an error, so that a
missing entry is at least in the server's log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ezchat.domain.audit import AuditEntry
from ezchat.domain.errors import EzChatError
from ezchat.domain.ids import new_id
from ezchat.ports.audit import AuditStore
from ezchat.ports.clock import Clock

log = logging.getLogger(__name__)


class AuditLog:
    def __init__(
        self,
        *,
        store: AuditStore,
        clock: Clock,
        request_id: Callable[[], str | None] = lambda: None,
    ) -> None:
        """``request_id``: the id of the HTTP request being answered, if any."""
        self.store = store
        self._clock = clock
        self._request_id = request_id

    async def record(
        self, actor: str, action: str, target: str | None = None, detail: str | None = None
    ) -> None:
        entry = AuditEntry(
            id=new_id(),
            at=self._clock.now().timestamp(),
            actor=actor,
            action=action,
            target=target,
            request_id=self._request_id(),
            detail=detail,
        )
        try:
            await self.store.append(entry)
        except EzChatError as exc:
            log.error("audit entry not written (%s %s %s): %s", actor, action, target, exc)
