"""Message search on every backend: words, phrases, case and diacritics, filters, both orders,
paging to the end without repeats, deleted messages never, and no input the engine chokes on.
MongoDB's text index matches whole words (no prefixes): the one difference, asserted as such."""

import asyncio
import contextlib
import sqlite3
from dataclasses import replace

import pytest

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.search import Order, SearchQuery, parse
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


@pytest.fixture
def whole_words_only(request):
    """MongoDB's text index has no prefix search (docs/api.md, Search)."""
    return request.node.callspec.params["stores"].startswith(("mongo", "real-mongo"))


@pytest.fixture
def convs(stores, io_loop):
    a, b = group("a", "b"), group("a", "c")
    for c in (a, b):
        io_loop.run_sync(lambda c=c: stores.conversations.add(c))
    return a, b


def query(q: str, **more) -> SearchQuery:
    words, phrases = parse(q)
    return SearchQuery(words=words, phrases=phrases, **more)


async def texts(stores, ids, q, limit=50, **more):
    found, _ = await stores.messages.search(ids, query(q, **more), limit)
    return [m.text for m in found]


async def put(stores, conv_id, sender, text, at_s):
    m, _ = await stores.messages.add(new_message(conv_id, sender, text, at_s=at_s))
    return m


async def test_every_word_case_and_diacritics_aside_newest_first(stores, convs):
    a, b = convs
    await put(stores, a.id, "a", "Lunch at the CAFÉ?", 1)
    await put(stores, a.id, "b", "the cafe is closed for lunch", 2)
    await put(stores, a.id, "b", "dinner at the café", 3)
    await put(stores, b.id, "c", "lunch café elsewhere", 4)
    assert await texts(stores, [a.id], "cafe LUNCH") == [
        "the cafe is closed for lunch",
        "Lunch at the CAFÉ?",
    ]
    assert await texts(stores, [a.id, b.id], "café lunch", limit=2) == [
        "lunch café elsewhere",
        "the cafe is closed for lunch",
    ]
    assert await texts(stores, [b.id], "dinner") == []


async def test_a_phrase_is_its_words_in_a_row(stores, convs):
    a, _ = convs
    await put(stores, a.id, "a", "see you at noon, then lunch", 1)
    await put(stores, a.id, "a", "lunch at noon", 2)
    assert await texts(stores, [a.id], '"lunch at noon"') == ["lunch at noon"]
    assert await texts(stores, [a.id], '"noon lunch"') == []
    assert await texts(stores, [a.id], '"at noon" then') == ["see you at noon, then lunch"]


async def test_a_word_finds_longer_words_it_starts(stores, convs, whole_words_only):
    a, _ = convs
    await put(stores, a.id, "a", "lunchtime soon", 1)
    found = await texts(stores, [a.id], "lunch")
    assert found == ([] if whole_words_only else ["lunchtime soon"])


async def test_pattern_characters_and_syntax_are_plain_text(stores, convs):
    a, _ = convs
    await put(stores, a.id, "a", 'costs $5 (maybe) - "NEAR" 100% * OR AND', 1)
    for q in ['"', "*", "NEAR", "-", ".*", "(maybe", "$5 (maybe)", 'OR AND "near', "a:b", "^x$"]:
        found, _ = await stores.messages.search([a.id], query(q), 10)  # never an engine error
        assert all(m.text.startswith("costs") for m in found)
    assert await texts(stores, [a.id], "$5 (maybe)") == ['costs $5 (maybe) - "NEAR" 100% * OR AND']
    assert await texts(stores, [a.id], "maybe NEAR OR") != []
    assert await texts(stores, [a.id], "10 KB " * 2000) == []


async def test_deleted_messages_are_never_found(stores, convs):
    a, _ = convs
    m = await put(stores, a.id, "a", "secret plans", 1)
    await stores.messages.replace(m.tombstone(), expected_rev=m.rev)
    assert await texts(stores, [a.id], "secret") == []


async def test_an_edit_is_found_by_its_new_words_only(stores, convs):
    a, _ = convs
    m = await put(stores, a.id, "a", "old words", 1)
    await stores.messages.replace(replace(m, text="new words"), expected_rev=m.rev)
    assert await texts(stores, [a.id], "old") == []
    assert await texts(stores, [a.id], "new") == ["new words"]


async def test_filters_by_sender_and_time(stores, convs):
    a, _ = convs
    for i, sender in enumerate(["a", "b", "a", "b"]):
        await put(stores, a.id, sender, f"report {i}", i * 10)
    assert await texts(stores, [a.id], "report", sender_id="b") == ["report 3", "report 1"]
    assert await texts(stores, [a.id], "report", after=at(5), before=at(25)) == [
        "report 2",
        "report 1",
    ]


async def test_pages_follow_each_other_to_the_end_in_both_orders(stores, convs):
    a, b = convs
    for i in range(7):
        await put(stores, (a if i % 2 else b).id, "a", f"status update {i}" + " update" * i, i)
    for order in (Order.RECENT, Order.RELEVANCE):
        seen, position = [], None
        for _ in range(10):
            found, position = await stores.messages.search(
                [a.id, b.id], query("update", order=order, position=position), 3
            )
            seen += [m.text for m in found]
            if position is None:
                break
        assert len(seen) == len(set(seen)) == 7, order
        if order is Order.RECENT:
            assert seen == [f"status update {i}" + " update" * i for i in reversed(range(7))]
        else:  # the message saying "update" most comes first
            assert seen[0] == "status update 6" + " update" * 6


async def test_a_position_that_is_not_one_is_refused(stores, convs):
    a, _ = convs
    for order in (Order.RECENT, Order.RELEVANCE):
        with pytest.raises(InvalidRequest):
            await stores.messages.search([a.id], query("x", order=order, position="nonsense"), 5)


@pytest.mark.parametrize("stores", ["mongo-motor", "mongo-pymongo"], indirect=True)
async def test_mongodb_without_a_text_index_scans_with_literal_patterns(stores, convs):
    """The documented fallback for deployments that cannot build the text index: substrings of
    the case-folded text (diacritics count), every term still required, filters and paging
    unchanged."""
    a, _ = convs
    stores.messages._db.text_index = False
    await put(stores, a.id, "a", "Lunchtime at the café (maybe)", 1)
    await put(stores, a.id, "b", "lunch at noon", 2)
    assert await texts(stores, [a.id], "LUNCH") == [
        "lunch at noon",
        "Lunchtime at the café (maybe)",
    ]
    assert await texts(stores, [a.id], "café .*") == ["Lunchtime at the café (maybe)"]
    assert await texts(stores, [a.id], "cafe") == []  # no folding of diacritics here
    assert await texts(stores, [a.id], '"at noon" lunch', sender_id="b") == ["lunch at noon"]
    found, position = await stores.messages.search([a.id], query("at"), 1)
    rest, end = await stores.messages.search([a.id], query("at", position=position), 1)
    assert [m.text for m in found + rest] == ["lunch at noon", "Lunchtime at the café (maybe)"]
    assert end is None


async def test_edits_and_deletes_before_and_after_indexing_keep_the_index_right(
    stores, convs, request, tmp_path
):
    a, b = convs
    indexed = await put(stores, a.id, "a", "alpha before", 1)
    await texts(stores, [a.id], "alpha")  # a search indexes what is queued (SQLite)
    queued = await put(stores, a.id, "a", "beta before", 2)
    for m, word in ((indexed, "alpha"), (queued, "beta")):
        edited = await stores.messages.replace(replace(m, text=f"{word} after"), expected_rev=m.rev)
        assert await texts(stores, [a.id], f"{word} before") == []
        assert await texts(stores, [a.id], f"{word} after") == [f"{word} after"]
        await stores.messages.replace(edited.tombstone(), expected_rev=edited.rev)
        assert await texts(stores, [a.id], word) == []
    await put(stores, b.id, "c", "gamma indexed", 3)
    await texts(stores, [b.id], "gamma")
    await put(stores, b.id, "c", "gamma queued", 4)
    await stores.conversations.delete(b.id)
    assert await texts(stores, [b.id], "gamma") == []
    if request.node.callspec.params["stores"].startswith("sqlite"):
        # FTS5's own check of the index against the messages: raises when they disagree.
        with contextlib.closing(sqlite3.connect(tmp_path / "contract.db")) as conn:
            conn.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
            )


async def test_concurrent_writes_and_searches_lose_nothing(stores, convs, request, tmp_path):
    a, b = convs

    async def write(i):
        await stores.messages.add(new_message((a if i % 2 else b).id, "a", f"storm {i}", at_s=i))

    async def look():
        await stores.messages.search([a.id, b.id], query("storm"), 10)

    await asyncio.gather(*(write(i) if i % 3 else look() for i in range(90)))
    seen, position = [], None
    while True:
        found, position = await stores.messages.search(
            [a.id, b.id], query("storm", position=position), 7
        )
        seen += [m.text for m in found]
        if position is None:
            break
    assert sorted(seen) == sorted(f"storm {i}" for i in range(90) if i % 3)
    if request.node.callspec.params["stores"].startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(tmp_path / "contract.db")) as conn:
            conn.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
            )
