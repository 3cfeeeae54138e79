"""GET /api/search over HTTP: the contract's shape plus filters, order, snippets and cursors;
any query text is a 200; bad filters and forged cursors are 400s naming the field."""

import urllib.parse

import pytest

from tests.e2e.test_messages_api import post, room  # noqa: F401

pytestmark = pytest.mark.gen_test


def url(**params) -> str:
    return "/api/search?" + urllib.parse.urlencode(params)


async def test_search_filters_snippets_and_pages(api, room):  # noqa: F811
    cid, (alice, ta), (bob, tb), _ = await room()
    for i in range(5):
        token = ta if i % 2 == 0 else tb
        assert (await post(api, cid, token, f"Café <report> {i}", client_id=f"r{i}")).status == 201
    r = await api.call("GET", url(q="cafe REPORT", limit=2), token=tb)
    assert r.status == 200
    assert [m["text"] for m in r.body["messages"]] == ["Café <report> 4", "Café <report> 3"]
    assert r.body["messages"][0]["snippet"] == "<mark>Café</mark> &lt;<mark>report</mark>&gt; 4"
    seen = [m["id"] for m in r.body["messages"]]
    while r.body["next_cursor"]:
        r = await api.call(
            "GET", url(q="cafe REPORT", limit=2, cursor=r.body["next_cursor"]), token=tb
        )
        assert r.status == 200
        seen += [m["id"] for m in r.body["messages"]]
    assert len(seen) == len(set(seen)) == 5
    r = await api.call("GET", url(q="report", **{"from": bob["id"]}), token=ta)
    assert [m["text"] for m in r.body["messages"]] == ["Café <report> 3", "Café <report> 1"]
    first = (await api.call("GET", url(q="report 0"), token=ta)).body["messages"][0]
    r = await api.call("GET", url(q="report", after=first["created_at"]), token=ta)
    assert len(r.body["messages"]) == 4
    r = await api.call("GET", url(q="report", before="2000-01-01T00:00:00Z"), token=ta)
    assert r.body == {"messages": [], "next_cursor": None}
    r = await api.call("GET", url(q='"report> 2"', order="relevance"), token=ta)
    assert [m["text"] for m in r.body["messages"]] == ["Café <report> 2"]


async def test_any_query_text_is_a_plain_search(api, room):  # noqa: F811
    cid, (_, ta), _, _ = await room()
    await post(api, cid, ta, 'costs $5 (maybe) "NEAR" * OR - AND')
    for q in [
        '"',
        "*",
        "NEAR",
        "-",
        ".*",
        "(maybe",
        "\\",
        "OR",
        "🙂",
        "x" * 10_000,
        "a" * 3 + '"' * 50,
    ]:
        r = await api.call("GET", url(q=q), token=ta)
        assert r.status == 200, (q[:20], r.body)
        assert all(m["text"].startswith("costs") for m in r.body["messages"])


async def test_bad_filters_and_cursors_are_400s(api, room):  # noqa: F811
    cid, (_, ta), _, _ = await room()
    cases = [
        ({"q": "x", "order": "sideways"}, "order"),
        ({"q": "x", "before": "yesterday"}, "before"),
        ({"q": "x", "after": "0001-01-01T00:00:00+14:00"}, "after"),
        ({"q": "x", "cursor": "not-a-cursor"}, "cursor"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": " "}, "q"),
        ({"q": "x" * 20_001}, "q"),
    ]
    for params, field in cases:
        r = await api.call("GET", url(**params), token=ta)
        assert (r.status, r.error, r.body["error"].get("field")) == (400, "invalid_request", field)
    for i in range(3):
        await post(api, cid, ta, f"word {i}", client_id=f"w{i}")
    r = await api.call("GET", url(q="word", limit=1, order="relevance"), token=ta)
    recent_cursor_for_relevance = r.body["next_cursor"]
    r = await api.call("GET", url(q="word", limit=1, cursor=recent_cursor_for_relevance), token=ta)
    assert (r.status, r.body["error"]["field"]) == (400, "cursor")  # made for another order


@pytest.mark.parametrize(
    "value",
    ["9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.9995", "9999-12-31T23:59:59.999999+00:00"],
)
async def test_a_time_past_the_end_of_the_range_is_a_400_not_a_500(api, value):
    _, token = await api.register()
    for name in ("before", "after"):
        r = await api.call("GET", url(q="x", **{name: value}), token=token)
        assert (r.status, r.error, r.body["error"].get("field")) == (400, "invalid_request", name)


def test_any_time_filter_is_answered_200_or_400(api, io_loop):
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.support import e2e_examples

    token = io_loop.run_sync(api.register)[1]
    offsets = st.sampled_from(["Z", "", "+00:00", "+14:00", "-12:00", "+05:30"])
    times = st.builds(
        lambda t, off: t.isoformat() + off, st.datetimes(), offsets
    ) | st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])

    @e2e_examples(60)
    @given(times, st.sampled_from(["before", "after"]))
    def run(value, name):
        r = io_loop.run_sync(lambda: api.call("GET", url(q="x", **{name: value}), token=token))
        assert r.status in (200, 400), (value, r.body)
        if r.status == 400:
            assert r.body["error"]["field"] == name

    run()
