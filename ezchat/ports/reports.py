"""The port of reports."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.reports import Report, ReportStatus, Resolution


class ReportStore(Protocol):
    async def add(self, report: Report) -> tuple[Report, bool]:
        """Keep a report; (the report, whether new): the reporter's earlier report of the same
        message is returned instead, and nothing is written."""

    async def get(self, report_id: str) -> Report | None: ...

    async def page(
        self, *, status: ReportStatus | None, before: tuple[float, str] | None, limit: int
    ) -> list[Report]:
        """Reports (in ``status`` when given) older than ``before``, newest first."""

    async def resolve(
        self, report_id: str, *, by: str, action: Resolution, at: float
    ) -> Report | None:
        """Resolve an open report, in one atomic step; the report after, or None when it is
        not open (resolved already, or unknown)."""
