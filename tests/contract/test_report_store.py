"""Reports on every store: one per reporter and message, listed newest first by status, and
resolved once (of two resolutions at once, one)."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.domain.reports import Report, ReportStatus, Resolution

pytestmark = pytest.mark.gen_test


def report(i: int, reporter="r1", message="m1", at=None) -> Report:
    return Report(
        id=f"rep{i:03d}", conversation_id="c1", message_id=message, reporter_id=reporter,
        sender_id="s1", text=f"said {i}", reason="spam", category="spam",
        created_at=float(at if at is not None else i),
    )  # fmt: skip


async def test_a_reporter_reports_a_message_once(stores):
    first, created = await stores.reports.add(report(1))
    assert created and first == report(1)
    again, created = await stores.reports.add(report(2))
    assert not created and again.id == "rep001"
    other, created = await stores.reports.add(report(3, reporter="r2"))
    assert created and other.id == "rep003"
    assert await stores.reports.get("rep001") == first


async def test_reports_are_listed_newest_first_and_resolved_once(stores):
    for i in range(1, 5):
        await stores.reports.add(report(i, message=f"m{i}"))
    page = await stores.reports.page(status=None, before=None, limit=10)
    assert [r.id for r in page] == ["rep004", "rep003", "rep002", "rep001"]
    rest = await stores.reports.page(status=None, before=page[1].key(), limit=10)
    assert [r.id for r in rest] == ["rep002", "rep001"]
    results = await asyncio.gather(
        *(
            stores.reports.resolve("rep002", by=f"a{i}", action=Resolution.DISMISS, at=9.0)
            for i in range(6)
        )
    )
    done = [r for r in results if r is not None]
    assert len(done) == 1 and done[0].status is ReportStatus.RESOLVED
    assert done[0].action is Resolution.DISMISS and done[0].resolved_at == 9.0
    open_ = await stores.reports.page(status=ReportStatus.OPEN, before=None, limit=10)
    assert [r.id for r in open_] == ["rep004", "rep003", "rep001"]
    closed = await stores.reports.page(status=ReportStatus.RESOLVED, before=None, limit=10)
    assert [r.id for r in closed] == ["rep002"]
    assert await stores.reports.resolve("nope", by="a", action=Resolution.DISMISS, at=1) is None
