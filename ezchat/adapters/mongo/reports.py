"""MongoDB reports: one per (message, reporter) by a unique index; resolving is one
conditional update of an open report."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ezchat.adapters.codec_records import report_in, report_out
from ezchat.adapters.mongo.db import MongoDatabase, translated
from ezchat.domain.reports import Report, ReportStatus, Resolution


def _report(doc: dict[str, Any]) -> Report:
    return report_in({**doc, "id": doc["_id"]})


class MongoReportStore:
    def __init__(self, db: MongoDatabase) -> None:
        self._reports = db["reports"]

    @translated
    async def add(self, report: Report) -> tuple[Report, bool]:
        doc = report_out(report)
        doc["_id"] = doc.pop("id")
        try:
            await self._reports.insert_one(doc)
            return report, True
        except DuplicateKeyError:
            same = {"message_id": report.message_id, "reporter_id": report.reporter_id}
            found = await self._reports.find_one(same) or await self._reports.find_one(
                {"_id": report.id}
            )
            assert found is not None
            return _report(found), False

    @translated
    async def get(self, report_id: str) -> Report | None:
        doc = await self._reports.find_one({"_id": report_id})
        return _report(doc) if doc else None

    @translated
    async def page(
        self, *, status: ReportStatus | None, before: tuple[float, str] | None, limit: int
    ) -> list[Report]:
        found: dict[str, Any] = {}
        if status is not None:
            found["status"] = status.value
        if before is not None:
            found["$or"] = [
                {"created_at": {"$lt": before[0]}},
                {"created_at": before[0], "_id": {"$lt": before[1]}},
            ]
        newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
        cursor = self._reports.find(found).sort(newest).limit(limit)
        return [_report(d) async for d in cursor]

    @translated
    async def resolve(
        self, report_id: str, *, by: str, action: Resolution, at: float
    ) -> Report | None:
        doc = await self._reports.find_one_and_update(
            {"_id": report_id, "status": "open"},
            {
                "$set": {
                    "status": "resolved",
                    "resolved_by": by,
                    "resolved_at": at,
                    "action": action.value,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return _report(doc) if doc else None
