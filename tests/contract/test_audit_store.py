"""The audit log on every store: entries come back whole, newest first, filtered by actor and
action, paged by (at, id); and many written at once are all kept."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.domain.audit import AuditEntry

pytestmark = pytest.mark.gen_test


def entry(i: int, actor="u1", action="user.disable", at=None) -> AuditEntry:
    return AuditEntry(
        id=f"e{i:03d}", at=float(at if at is not None else i), actor=actor, action=action,
        target=f"t{i}", request_id=f"r{i}", detail=f"d{i}",
    )  # fmt: skip


async def test_entries_come_newest_first_filtered_and_paged(stores):
    made = [
        entry(1, actor="cli", action="user.create"),
        entry(2),
        entry(3, actor="app", action="webhook.create"),
        entry(4, at=3),  # the same second as e003: the id decides
        entry(5, actor="u2"),
    ]
    for e in made:
        await stores.audit.append(e)
    page = await stores.audit.page(before=None, actor=None, action=None, limit=10)
    assert [e.id for e in page] == ["e005", "e004", "e003", "e002", "e001"]
    assert page[-1] == made[0]
    first = await stores.audit.page(before=None, actor=None, action=None, limit=2)
    rest = await stores.audit.page(before=first[-1].key(), actor=None, action=None, limit=10)
    assert [e.id for e in first + rest] == [e.id for e in page]
    mine = await stores.audit.page(before=None, actor="u1", action=None, limit=10)
    assert [e.id for e in mine] == ["e004", "e002"]
    kinds = await stores.audit.page(before=None, actor=None, action="webhook.create", limit=10)
    assert [e.id for e in kinds] == ["e003"]


async def test_entries_written_at_once_are_all_kept(stores):
    await asyncio.gather(*(stores.audit.append(entry(i)) for i in range(40)))
    page = await stores.audit.page(before=None, actor=None, action=None, limit=100)
    assert len(page) == 40
