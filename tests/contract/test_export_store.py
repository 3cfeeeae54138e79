"""Exports on every store: listed newest first per owner, a build claimed by one caller at a
time until its lease runs out, finished once, and found when due."""

from __future__ import annotations

import asyncio

import pytest

from ezchat.domain.exports import Export, ExportStatus
from ezchat.domain.ids import new_id

pytestmark = pytest.mark.gen_test


def export(owner="a", created=1.0, expires=1000.0) -> Export:
    return Export(new_id(), owner, ExportStatus.PENDING, created, expires)


async def test_a_build_is_claimed_by_one_until_its_lease_runs_out_and_finished_once(stores):
    e = export()
    await stores.exports.add(e)
    taken = await asyncio.gather(
        *(stores.exports.claim(e.id, now=10, lease_s=60) for _ in range(8))
    )
    assert sum(1 for t in taken if t is not None) == 1
    assert await stores.exports.claim(e.id, now=69, lease_s=60) is None
    again = await stores.exports.claim(e.id, now=71, lease_s=60)
    assert again is not None and again.lease_until == 131
    done = await stores.exports.finish(
        e.id, status=ExportStatus.READY, size=42, error=None, expires_at=500
    )
    assert done is not None and (done.status, done.size, done.expires_at) == ("ready", 42, 500)
    assert await stores.exports.finish(
        e.id, status=ExportStatus.FAILED, size=0, error="x", expires_at=9
    ) is None  # fmt: skip
    assert await stores.exports.claim(e.id, now=1000, lease_s=60) is None  # ready: no build
    assert (await stores.exports.get(e.id)).status is ExportStatus.READY


async def test_exports_are_listed_per_owner_newest_first_found_when_due_and_removed(stores):
    old, new, other = export(created=1, expires=50), export(created=2), export("b", created=3)
    for e in (old, new, other):
        await stores.exports.add(e)
    assert [e.id for e in await stores.exports.for_owner("a")] == [new.id, old.id]
    await stores.exports.claim(new.id, now=10, lease_s=100)
    due = await stores.exports.due(60, 10)
    assert [e.id for e in due] == [old.id, other.id]  # expired; a pending one never claimed
    assert [e.id for e in await stores.exports.due(111, 10)] == [old.id, new.id, other.id]
    assert await stores.exports.remove(old.id)
    assert not await stores.exports.remove(old.id)
    assert await stores.exports.get(old.id) is None
