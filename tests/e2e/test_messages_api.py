import urllib.parse

import pytest

pytestmark = pytest.mark.gen_test

MESSAGE_FIELDS = {
    "id",
    "conversation_id",
    "seq",
    "rev",
    "client_id",
    "sender_id",
    "text",
    "attachments",
    "reply_to",
    "reactions",
    "created_at",
    "edited_at",
    "deleted",
    "mentions",
    "forwarded_from",
    "thread_root",
    "thread",
    "pinned",
    "pinned_at",
    "pinned_by",
    "previews",
}


@pytest.fixture
def room(api):
    async def make():
        alice, ta = await api.register("alice")
        bob, tb = await api.register("bob")
        carol, tc = await api.register("carol")
        r = await api.call(
            "POST",
            "/api/conversations",
            {"type": "group", "name": "room", "member_ids": [bob["id"]]},
            token=ta,
        )
        return r.body["id"], (alice, ta), (bob, tb), (carol, tc)

    return make


async def post(api, cid, token, text, client_id=None, **extra):
    body = {"client_id": client_id or text[:64], "text": text, **extra}
    return await api.call("POST", f"/api/conversations/{cid}/messages", body, token=token)


async def test_send_is_idempotent_on_client_id(api, room):
    cid, (alice, ta), _, _ = await room()
    r = await post(api, cid, ta, "hello", client_id="k-1")
    assert r.status == 201 and set(r.body) == MESSAGE_FIELDS
    assert (r.body["seq"], r.body["rev"], r.body["sender_id"]) == (1, 1, alice["id"])
    again = await post(api, cid, ta, "hello", client_id="k-1")
    assert again.status == 200 and again.body == r.body
    history = await api.call("GET", f"/api/conversations/{cid}/messages", token=ta)
    assert len(history.body["messages"]) == 1


async def test_send_validation(api, room):
    cid, (alice, ta), _, _ = await room()
    path = f"/api/conversations/{cid}/messages"
    cases = [
        ({"text": "no client id"}, "client_id"),
        ({"client_id": "", "text": "x"}, "client_id"),
        ({"client_id": "k" * 65, "text": "x"}, "client_id"),
        ({"client_id": "k", "text": "   "}, "text"),
        ({"client_id": "k", "text": "x" * 4001}, "text"),
        ({"client_id": "k", "text": 42}, "text"),
        ({"client_id": "k", "text": "x", "attachments": {}}, "attachments"),
        (
            {"client_id": "k", "text": "x", "attachments": [{"url": "https://a/b"}]},
            "attachments[0].name",
        ),
        ({"client_id": "k", "text": "x", "reply_to": "ghost"}, "reply_to"),
    ]
    for body, field in cases:
        r = await api.call("POST", path, body, token=ta)
        assert r.status == 400 and r.error == "invalid_request", body
        assert field in r.body["error"]["message"], (body, r.body)
    r = await post(
        api,
        cid,
        ta,
        "",
        client_id="att",
        attachments=[
            {"url": "https://cdn/x.png", "name": "x.png", "mime_type": "image/png", "size": 3}
        ],
    )
    assert r.status == 201 and r.body["attachments"][0]["size"] == 3


async def test_non_members_get_not_found_everywhere(api, room):
    cid, (alice, ta), _, (carol, tc) = await room()
    mid = (await post(api, cid, ta, "secret")).body["id"]
    for method, path, body in [
        ("GET", f"/api/conversations/{cid}/messages", None),
        ("POST", f"/api/conversations/{cid}/messages", {"client_id": "x", "text": "x"}),
        ("PATCH", f"/api/conversations/{cid}/messages/{mid}", {"text": "x"}),
        ("DELETE", f"/api/conversations/{cid}/messages/{mid}", None),
        ("PUT", f"/api/conversations/{cid}/messages/{mid}/reactions/x", None),
        ("POST", f"/api/conversations/{cid}/read", {"seq": 1}),
        ("GET", f"/api/conversations/{cid}/receipts", None),
        ("PUT", f"/api/conversations/{cid}/settings", {"pinned": True}),
        ("GET", f"/api/search?q=secret&conversation_id={cid}", None),
    ]:
        r = await api.call(method, path, body, token=tc)
        assert (r.status, r.error) == (404, "not_found"), (method, path)
    r = await api.call("GET", "/api/search?q=secret", token=tc)
    assert r.status == 200 and r.body["messages"] == []


async def test_edit_delete_and_reactions(api, room):
    cid, (alice, ta), (bob, tb), _ = await room()
    m = (await post(api, cid, ta, "draft")).body
    base = f"/api/conversations/{cid}/messages/{m['id']}"
    r = await api.call("PATCH", base, {"text": "hijack"}, token=tb)
    assert r.status == 403 and r.error == "forbidden"
    r = await api.call("PATCH", base, {"text": "final"}, token=ta)
    assert (
        r.status == 200 and r.body["text"] == "final" and r.body["edited_at"] and r.body["rev"] == 2
    )

    emoji = urllib.parse.quote("👍")
    r = await api.call("PUT", f"{base}/reactions/{emoji}", token=tb)
    assert r.status == 200 and r.body["reactions"] == {"👍": [bob["id"]]}
    r = await api.call("PUT", f"{base}/reactions/{urllib.parse.quote('a/b', safe='')}", token=tb)
    assert r.status == 200 and "a/b" in r.body["reactions"]
    r = await api.call("PUT", f"{base}/reactions/{'x' * 33}", token=tb)
    assert r.status == 400
    r = await api.call("DELETE", f"{base}/reactions/{emoji}", token=tb)
    assert r.status == 200 and "👍" not in r.body["reactions"]

    r = await api.call("DELETE", base, token=tb)
    assert r.status == 403
    r = await api.call("DELETE", base, token=ta)
    assert r.status == 204
    r = await api.call("PATCH", base, {"text": "again"}, token=ta)
    assert r.status == 409 and r.error == "conflict"
    r = await api.call("PUT", f"{base}/reactions/{emoji}", token=tb)
    assert r.status == 409
    history = await api.call("GET", f"/api/conversations/{cid}/messages", token=tb)
    gone = history.body["messages"][0]
    assert gone["deleted"] is True and gone["text"] == "" and gone["attachments"] == []
    assert gone["id"] == m["id"] and gone["seq"] == 1 and gone["created_at"] == m["created_at"]
    r = await api.call("PATCH", f"/api/conversations/{cid}/messages/ghost", {"text": "x"}, token=ta)
    assert r.status == 404


async def test_history_pagination_boundaries(api, room):
    cid, (alice, ta), _, _ = await room()
    for i in range(1, 6):
        await post(api, cid, ta, f"m{i}")
    path = f"/api/conversations/{cid}/messages"

    async def seqs(query):
        r = await api.call("GET", path + query, token=ta)
        assert r.status == 200, r.body
        return [m["seq"] for m in r.body["messages"]], r.body["has_more"]

    assert await seqs("") == ([1, 2, 3, 4, 5], False)
    assert await seqs("?limit=2") == ([4, 5], True)
    assert await seqs("?limit=2&before=4") == ([2, 3], True)
    assert await seqs("?limit=2&before=2") == ([1], False)
    assert await seqs("?limit=2&before=1") == ([], False)
    assert await seqs("?limit=2&after=0") == ([1, 2], True)
    assert await seqs("?limit=2&after=3") == ([4, 5], False)
    assert await seqs("?limit=2&after=5") == ([], False)
    assert await seqs("?limit=5") == ([1, 2, 3, 4, 5], False)
    for bad in ("?limit=0", "?limit=101", "?before=-1", "?after=x", "?limit=1.5"):
        r = await api.call("GET", path + bad, token=ta)
        assert r.status == 400 and r.error == "invalid_request", bad


async def test_read_pointer_unread_counts_and_receipts(api, room):
    cid, (alice, ta), (bob, tb), _ = await room()
    for i in range(3):
        await post(api, cid, ta, f"m{i}")
    r = await api.call("GET", f"/api/conversations/{cid}", token=tb)
    assert r.body["unread_count"] == 3 and r.body["read_seq"] == 0
    assert r.body["last_message"]["text"] == "m2"
    r = await api.call("POST", f"/api/conversations/{cid}/read", {"seq": 2}, token=tb)
    assert r.status == 200 and r.body == {"read_seq": 2}
    r = await api.call("POST", f"/api/conversations/{cid}/read", {"seq": 1}, token=tb)
    assert r.body == {"read_seq": 2}
    r = await api.call("POST", f"/api/conversations/{cid}/read", {"seq": 1000}, token=tb)
    assert r.body == {"read_seq": 3}
    for bad in ({"seq": -1}, {"seq": "3"}, {"seq": True}, {}):
        r = await api.call("POST", f"/api/conversations/{cid}/read", bad, token=tb)
        assert r.status == 400, bad
    r = await api.call("GET", f"/api/conversations/{cid}", token=tb)
    assert r.body["unread_count"] == 0 and r.body["read_seq"] == 3
    r = await api.call("GET", f"/api/conversations/{cid}/receipts", token=ta)
    receipts = {x["user_id"]: x for x in r.body["receipts"]}
    assert receipts[bob["id"]] == {"user_id": bob["id"], "read_seq": 3, "delivered_seq": 3}
    assert receipts[alice["id"]]["read_seq"] == 0


async def test_search_every_word_newest_first_scoped_to_membership(api, room):
    cid, (alice, ta), (bob, tb), _ = await room()
    await post(api, cid, ta, "Lunch at noon?")
    await post(api, cid, tb, "noon lunch works")
    await post(api, cid, tb, "dinner")
    r = await api.call("GET", "/api/search?q=LUNCH%20noon", token=ta)
    assert [m["text"] for m in r.body["messages"]] == ["noon lunch works", "Lunch at noon?"]
    r = await api.call("GET", f"/api/search?q=lunch&limit=1&conversation_id={cid}", token=ta)
    assert len(r.body["messages"]) == 1
    r = await api.call("GET", "/api/search?q=%20", token=ta)
    assert r.status == 400


async def test_the_block_rule_applies_to_existing_direct_conversations(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    cid = (
        await api.call(
            "POST", "/api/conversations", {"type": "direct", "user_id": bob["id"]}, token=ta
        )
    ).body["id"]
    assert (await post(api, cid, ta, "hi")).status == 201
    await api.call("POST", f"/api/contacts/{alice['id']}/block", token=tb)
    r = await post(api, cid, ta, "still there?")
    assert r.status == 403 and r.error == "forbidden"
    await api.call("DELETE", f"/api/contacts/{alice['id']}", token=tb)
    assert (await post(api, cid, ta, "thanks")).status == 201


async def test_a_removed_member_can_no_longer_read_or_send(api, room):
    cid, (alice, ta), (bob, tb), _ = await room()
    await api.call("DELETE", f"/api/conversations/{cid}/members/{bob['id']}", token=ta)
    assert (await api.call("GET", f"/api/conversations/{cid}/messages", token=tb)).status == 404
    assert (await post(api, cid, tb, "let me in")).status == 404
