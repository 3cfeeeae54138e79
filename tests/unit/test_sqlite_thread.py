"""The SQLite thread runs calls in the order given and settles each caller, alone or in a
crowd: results, errors, and callers that went away."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from ezchat.adapters.sqlite.db import SqliteDatabase
from ezchat.domain.errors import StorageUnavailable

pytestmark = pytest.mark.gen_test


async def test_a_crowd_of_calls_runs_in_order_and_each_gets_its_own_answer(tmp_path):
    db = SqliteDatabase(tmp_path / "t.db")
    await db.open()
    try:
        await db.run(lambda c: c.execute("CREATE TABLE t (n INTEGER)"))
        order: list[int] = []

        def insert(n: int):
            def call(c: sqlite3.Connection) -> int:
                order.append(n)
                c.execute("INSERT INTO t VALUES (?)", (n,))
                return n * 2

            return call

        calls = [asyncio.ensure_future(db.run(insert(n))) for n in range(300)]
        await asyncio.sleep(0)  # all submitted
        calls[5].cancel()  # a caller that went away: the call still runs, the rest settle
        broken = asyncio.ensure_future(db.run(lambda c: c.execute("SELECT nope FROM t")))
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert order == list(range(300))
        assert [r for i, r in enumerate(results) if i != 5] == [n * 2 for n in range(300) if n != 5]
        with pytest.raises(StorageUnavailable):
            await broken
        count = await db.run(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0])
        assert count == 300
    finally:
        await db.close()
