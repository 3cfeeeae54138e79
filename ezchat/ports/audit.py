"""The port of the audit log."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.audit import AuditEntry


class AuditStore(Protocol):
    """Append-only: there is no way to change or remove an entry."""

    async def append(self, entry: AuditEntry) -> None: ...

    async def page(
        self,
        *,
        before: tuple[float, str] | None,
        actor: str | None,
        action: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        """Entries (of ``actor``, of ``action`` when given) older than ``before`` (an entry's
        ``key()``), newest first."""
