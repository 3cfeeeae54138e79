"""A user's export of their own data (GDPR article 20): a zip built in the background, kept
``EXPORT_TTL_S`` and given only to its owner."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_KEPT = 5  # exports of one user kept at once (pending or ready)


class ExportStatus(StrEnum):
    PENDING = "pending"  # being built (by whoever holds its lease)
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class Export:
    id: str
    owner_id: str
    status: ExportStatus
    created_at: float  # epoch seconds
    expires_at: float  # when it is deleted (a pending one: when its build is given up)
    lease_until: float = 0.0  # a pending one is being built until then
    size: int = 0
    error: str | None = None

    @property
    def blob_key(self) -> str:
        return f"{self.id}.zip"  # beside the uploads, whose keys are bare ids
