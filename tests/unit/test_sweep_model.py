"""Sweeps against a model, property-based: whatever the messages (senders, times, deletes
and edits between sweeps), erasing by sender or by time tombstones exactly what the model
says, in seq order, each under a new rev above every earlier one, and touches nothing else."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ezchat.adapters.memory import memory_stores
from ezchat.adapters.sqlite import open_sqlite_stores
from tests.contract.builders import at, group, new_message

SENDERS = ("a", "b", "c")
messages_ = st.lists(
    st.tuples(st.sampled_from(SENDERS), st.integers(0, 50), st.booleans()), max_size=40
)
sweeps_ = st.lists(
    st.one_of(
        st.tuples(st.just("sender"), st.sampled_from(SENDERS), st.integers(1, 7)),
        st.tuples(st.just("before"), st.integers(0, 60), st.integers(1, 7)),
    ),
    max_size=8,
)


async def _check(stores, sent, sweeps) -> None:
    conv = group(*SENDERS)
    await stores.conversations.add(conv)
    made = []
    for i, (sender, t, delete) in enumerate(sent):
        m, _ = await stores.messages.add(new_message(conv.id, sender, f"m{i}", at_s=t))
        if delete:
            m = await stores.messages.replace(m.tombstone(), expected_rev=m.rev)
        made.append(m)
    standing = {m.id: m for m in made if not m.deleted}
    for kind, arg, limit in sweeps:
        before_rev = (await stores.conversations.get(conv.id)).rev
        by_seq = sorted(standing.values(), key=lambda m: m.seq)
        if kind == "sender":
            expected = [m for m in by_seq if m.sender_id == arg][:limit]
            swept = await stores.sweeps.erase(conv.id, limit=limit, sender_id=arg)
        else:
            expected = []
            for m in by_seq:
                if m.created_at >= at(arg) or len(expected) == limit:
                    break
                expected.append(m)
            swept = await stores.sweeps.erase(conv.id, limit=limit, before=at(arg))
        assert [old.id for old, _ in swept] == [m.id for m in expected]
        revs = [tomb.rev for _, tomb in swept]
        assert revs == sorted(revs) and all(r > before_rev for r in revs)
        assert len(set(revs)) == len(revs)
        for old, tomb in swept:
            assert tomb == replace(old.tombstone(), rev=tomb.rev)
            del standing[old.id]
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=100)
    assert {m.id for m in page if not m.deleted} == set(standing)
    assert [m.seq for m in page] == list(range(1, len(sent) + 1))


# On the test's own IOLoop (pytest-tornado's), as every async test here runs: a loop of our
# own (asyncio.run) would drop the loop the fixtures share as the current one.
SHARED_LOOP = [HealthCheck.function_scoped_fixture]


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=SHARED_LOOP)  # fmt: skip
@given(sent=messages_, sweeps=sweeps_)
def test_memory_sweeps_tombstone_what_the_model_says_and_nothing_else(io_loop, sent, sweeps):
    io_loop.run_sync(lambda: _check(memory_stores(), sent, sweeps))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=SHARED_LOOP)  # fmt: skip
@given(sent=messages_, sweeps=sweeps_)
def test_sqlite_sweeps_tombstone_what_the_model_says_and_nothing_else(io_loop, sent, sweeps):
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            stores = await open_sqlite_stores(Path(tmp) / "ezchat.db")
            try:
                await _check(stores, sent, sweeps)
            finally:
                await stores.aclose()

    io_loop.run_sync(run, timeout=30)
