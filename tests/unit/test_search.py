"""What a search query means (parsing, matching, snippets) and the search service: members
only, any text a plain search, filters, cursors."""

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.domain import search
from ezchat.domain.commands import DeleteMessage, SendMessage
from ezchat.domain.errors import InvalidRequest, NotFound

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)


def q(text: str) -> search.SearchQuery:
    words, phrases = search.parse(text)
    return search.SearchQuery(words=words, phrases=phrases)


def test_words_phrases_and_what_is_no_term():
    assert search.parse('lunch "at noon" café') == (("lunch", "café"), (("at", "noon"),))
    assert search.parse('"unclosed phrase here') == ((), (("unclosed", "phrase", "here"),))
    assert search.parse('"one" $5 (maybe) *') == (("one", "5", "maybe"), ())
    assert q("*** -- ...").empty
    assert search.parse("a " * 100)[0] == ("a",)  # repeats count once
    assert len(search.parse(" ".join(f"w{i}" for i in range(100)))[0]) == search.MAX_TERMS
    for bad in ("", "   ", "x" * (search.MAX_QUERY_CHARS + 1)):
        with pytest.raises(InvalidRequest):
            search.parse(bad)


def test_matching_ignores_case_and_diacritics_and_takes_prefixes():
    assert search.matches("Lunch at the CAFÉ", q("cafe lunch"))
    assert search.matches("lunchtime", q("lunch"))
    assert not search.matches("brunch", q("lunch"))
    assert search.matches("see you at noon", q('"at noon"'))
    assert not search.matches("noon at", q('"at noon"'))
    assert not search.matches("anything", q("***"))


def test_a_snippet_is_escaped_html_with_the_matches_marked():
    text = "<b>Lunch</b> & café at noon"
    assert search.snippet(text, q("lunch cafe")) == (
        "&lt;b&gt;<mark>Lunch</mark>&lt;/b&gt; &amp; <mark>café</mark> at noon"
    )
    long = "x " * 200 + "the needle here " + "y " * 200
    cut = search.snippet(long, q("needle"))
    assert cut.startswith("\u2026") and cut.endswith("\u2026") and "<mark>needle</mark>" in cut
    assert len(cut.replace("<mark>", "").replace("</mark>", "")) <= search.SNIPPET_CHARS + 2


@settings(max_examples=300, deadline=None)
@given(text=TEXT, query=TEXT)
def test_any_text_and_query_never_fail_and_the_snippet_is_safe(text, query):
    try:
        words, phrases = search.parse(query)
    except InvalidRequest:
        return
    sq = search.SearchQuery(words=words, phrases=phrases)
    search.matches(text, sq)
    search.score(text, sq)
    out = search.snippet(text, sq)
    bare = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare  # the text's own markup is escaped


async def say(world, user, cid, text):
    m, _ = await world.messages.send(user.id, SendMessage(cid, client_id=text[:60], text=text))
    world.clock.advance(1)
    return m


def texts(hits):
    return [h.message.text for h in hits]


@pytest.mark.gen_test
async def test_members_find_with_snippets_and_others_find_nothing(world, trio):
    a, b, c, cid = await trio()
    searching = world.app.services.search
    await say(world, a, cid, "The Quick brown fox")
    await say(world, b, cid, "quick thinking, FOX!")
    private, _ = await world.conversations.open_direct(a.id, b.id)
    await say(world, a, private.conversation.id, "quick fox in private")
    hits, after = await searching.search(c.id, "fox QUICK", limit=10)
    assert texts(hits) == ["quick thinking, FOX!", "The Quick brown fox"] and after is None
    assert hits[0].snippet == "<mark>quick</mark> thinking, <mark>FOX</mark>!"
    with pytest.raises(NotFound):
        await searching.search(c.id, "fox", conversation_id=private.conversation.id, limit=5)
    await world.members.remove_member(a.id, cid, c.id)
    await say(world, a, cid, "quick fox after carol left")
    assert (await searching.search(c.id, "fox", limit=10))[0] == []


@pytest.mark.gen_test
async def test_filters_order_and_cursors(world, trio):
    a, b, c, cid = await trio()
    searching = world.app.services.search
    start = world.clock.now()
    for i in range(5):
        await say(world, a if i % 2 else b, cid, f"report {i}" + " report" * i)
    hits, _ = await searching.search(c.id, "report", sender_id=a.id, limit=10)
    assert texts(hits) == ["report 3 report report report", "report 1 report"]
    hits, _ = await searching.search(
        c.id,
        "report",
        after=start + timedelta(seconds=0.5),
        before=start + timedelta(seconds=2.5),
        limit=10,
    )
    assert texts(hits) == ["report 2 report report", "report 1 report"]
    seen, position = [], None
    while True:
        hits, position = await searching.search(
            c.id, "report", order="relevance", position=position, limit=2
        )
        seen += texts(hits)
        if position is None:
            break
    assert len(seen) == 5 and seen[0].startswith("report 4")
    with pytest.raises(InvalidRequest):
        await searching.search(c.id, "report", order="sideways", limit=2)


@pytest.mark.gen_test
async def test_deleted_messages_and_hostile_queries(world, trio):
    a, b, c, cid = await trio()
    searching = world.app.services.search
    m = await say(world, a, cid, 'secret: costs $5 (maybe) "NEAR" * OR')
    for hostile in ['"', "*", "NEAR", "-", ".*", "(", "\\", "OR AND NOT", "x" * 10_000]:
        hits, _ = await searching.search(b.id, hostile, limit=10)
        assert all(h.message.id == m.id for h in hits)
    await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    assert (await searching.search(b.id, "secret", limit=10))[0] == []
