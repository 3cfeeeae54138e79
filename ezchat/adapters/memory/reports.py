"""Memory reports."""

from __future__ import annotations

from dataclasses import replace

from ezchat.adapters.memory.db import MemoryDatabase
from ezchat.domain.reports import Report, ReportStatus, Resolution


class MemoryReportStore:
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db

    async def add(self, report: Report) -> tuple[Report, bool]:
        for r in self._db.reports.values():
            if (r.message_id, r.reporter_id) == (report.message_id, report.reporter_id):
                return r, False
        self._db.reports[report.id] = report
        return report, True

    async def get(self, report_id: str) -> Report | None:
        return self._db.reports.get(report_id)

    async def page(
        self, *, status: ReportStatus | None, before: tuple[float, str] | None, limit: int
    ) -> list[Report]:
        found = [
            r
            for r in self._db.reports.values()
            if (status is None or r.status is status) and (before is None or r.key() < before)
        ]
        return sorted(found, key=Report.key, reverse=True)[:limit]

    async def resolve(
        self, report_id: str, *, by: str, action: Resolution, at: float
    ) -> Report | None:
        r = self._db.reports.get(report_id)
        if r is None or r.status is not ReportStatus.OPEN:
            return None
        done = replace(
            r, status=ReportStatus.RESOLVED, resolved_by=by, resolved_at=at, action=action
        )
        self._db.reports[report_id] = done
        return done
