import base64

import pytest

pytestmark = pytest.mark.gen_test

CONVERSATION_FIELDS = {
    "id",
    "type",
    "name",
    "description",
    "avatar_url",
    "created_by",
    "created_at",
    "members",
    "retention_days",
    "last_message",
    "last_seq",
    "rev",
    "unread_count",
    "mention_count",
    "notify",
    "read_seq",
    "pinned",
    "muted",
    "members_can_pin",
    "pin_count",
}


async def test_direct_get_or_create_201_then_200(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    r = await api.call(
        "POST", "/api/conversations", {"type": "direct", "user_id": bob["id"]}, token=ta
    )
    assert r.status == 201 and set(r.body) == CONVERSATION_FIELDS
    assert r.body["type"] == "direct" and r.body["name"] is None
    assert {m["user_id"] for m in r.body["members"]} == {alice["id"], bob["id"]}
    again = await api.call(
        "POST", "/api/conversations", {"type": "direct", "user_id": alice["id"]}, token=tb
    )
    assert again.status == 200 and again.body["id"] == r.body["id"]


async def test_conversation_creation_errors(api):
    alice, ta = await api.register("alice")
    cases = [
        ({"type": "direct", "user_id": alice["id"]}, 400),
        ({"type": "direct", "user_id": "ghost"}, 400),
        ({"type": "direct"}, 400),
        ({"type": "channel"}, 400),
        ({"type": "group", "name": "", "member_ids": []}, 400),
        ({"type": "group", "name": "x", "member_ids": ["ghost"]}, 400),
        ({"type": "group", "name": "x", "member_ids": "nope"}, 400),
        ({"type": "group", "name": 5}, 400),
    ]
    for body, status in cases:
        r = await api.call("POST", "/api/conversations", body, token=ta)
        assert (r.status, r.error) == (status, "invalid_request"), body


async def test_a_blocked_user_cannot_open_a_direct_conversation(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    await api.call("POST", f"/api/contacts/{alice['id']}/block", token=tb)
    r = await api.call(
        "POST", "/api/conversations", {"type": "direct", "user_id": bob["id"]}, token=ta
    )
    assert r.status == 403 and r.error == "forbidden"


async def group(api, token, *members, name="team"):
    r = await api.call(
        "POST",
        "/api/conversations",
        {
            "type": "group",
            "name": name,
            "member_ids": [m["id"] for m in members],
            "description": "about",
        },
        token=token,
    )
    assert r.status == 201, r.body
    return r.body


async def test_group_lifecycle_with_roles_and_the_last_admin_rule(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    carol, tc = await api.register("carol")
    conv = await group(api, ta, bob)
    cid = conv["id"]
    assert {m["user_id"]: m["role"] for m in conv["members"]} == {
        alice["id"]: "admin",
        bob["id"]: "member",
    }
    assert conv["description"] == "about"

    r = await api.call("GET", f"/api/conversations/{cid}", token=tc)
    assert r.status == 404 and r.error == "not_found"
    r = await api.call("PATCH", f"/api/conversations/{cid}", {"name": "renamed"}, token=tb)
    assert r.status == 403
    r = await api.call(
        "PATCH", f"/api/conversations/{cid}", {"name": "renamed", "description": None}, token=ta
    )
    assert r.status == 200 and r.body["name"] == "renamed" and r.body["description"] is None

    r = await api.call(
        "POST", f"/api/conversations/{cid}/members", {"user_id": carol["id"]}, token=tb
    )
    assert r.status == 403
    r = await api.call(
        "POST", f"/api/conversations/{cid}/members", {"user_id": carol["id"]}, token=ta
    )
    assert r.status == 200 and len(r.body["members"]) == 3
    r = await api.call(
        "POST", f"/api/conversations/{cid}/members", {"user_id": carol["id"]}, token=ta
    )
    assert r.status == 409 and r.error == "conflict"
    r = await api.call("POST", f"/api/conversations/{cid}/members", {"user_id": "ghost"}, token=ta)
    assert r.status == 400

    r = await api.call(
        "PATCH", f"/api/conversations/{cid}/members/{alice['id']}", {"role": "member"}, token=ta
    )
    assert r.status == 409 and r.error == "conflict"
    r = await api.call(
        "PATCH", f"/api/conversations/{cid}/members/{bob['id']}", {"role": "boss"}, token=ta
    )
    assert r.status == 400
    r = await api.call(
        "PATCH", f"/api/conversations/{cid}/members/{bob['id']}", {"role": "admin"}, token=tc
    )
    assert r.status == 403

    # The last admin leaves: bob, the longest-standing member, becomes admin.
    r = await api.call("DELETE", f"/api/conversations/{cid}/members/{alice['id']}", token=ta)
    assert r.status == 204
    r = await api.call("GET", f"/api/conversations/{cid}", token=tb)
    assert {m["user_id"]: m["role"] for m in r.body["members"]} == {
        bob["id"]: "admin",
        carol["id"]: "member",
    }
    r = await api.call("GET", f"/api/conversations/{cid}", token=ta)
    assert r.status == 404

    r = await api.call("DELETE", f"/api/conversations/{cid}/members/{bob['id']}", token=tc)
    assert r.status == 403
    r = await api.call("DELETE", f"/api/conversations/{cid}/members/{carol['id']}", token=tb)
    assert r.status == 204
    r = await api.call("DELETE", f"/api/conversations/{cid}", token=tb)
    assert r.status == 204
    r = await api.call("GET", f"/api/conversations/{cid}", token=tb)
    assert r.status == 404


async def test_direct_conversations_refuse_group_operations(api):
    alice, ta = await api.register("alice")
    bob, _ = await api.register("bob")
    carol, _ = await api.register("carol")
    cid = (
        await api.call(
            "POST", "/api/conversations", {"type": "direct", "user_id": bob["id"]}, token=ta
        )
    ).body["id"]
    assert (await api.call("DELETE", f"/api/conversations/{cid}", token=ta)).status == 400
    assert (
        await api.call("PATCH", f"/api/conversations/{cid}", {"name": "x"}, token=ta)
    ).status == 400
    r = await api.call(
        "POST", f"/api/conversations/{cid}/members", {"user_id": carol["id"]}, token=ta
    )
    assert r.status == 400


async def test_listing_pages_with_next_cursor_pinned_first(api):
    alice, ta = await api.register("alice")
    ids = [(await group(api, ta, name=f"g{i}"))["id"] for i in range(5)]
    r = await api.call(
        "PUT", f"/api/conversations/{ids[0]}/settings", {"pinned": True, "muted": True}, token=ta
    )
    assert r.status == 200 and r.body["pinned"] is True and r.body["muted"] is True
    r = await api.call("PUT", f"/api/conversations/{ids[0]}/settings", {"pinned": "yes"}, token=ta)
    assert r.status == 400
    await api.call(
        "POST", f"/api/conversations/{ids[2]}/messages", {"client_id": "c", "text": "hi"}, token=ta
    )
    seen, cursor = [], None
    while True:
        q = "/api/conversations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = await api.call("GET", q, token=ta)
        assert r.status == 200
        seen += [c["id"] for c in r.body["conversations"]]
        cursor = r.body["next_cursor"]
        if not cursor:
            break
    assert seen[0] == ids[0] and seen[1] == ids[2] and sorted(seen) == sorted(ids)
    r = await api.call("GET", "/api/conversations?cursor=garbage", token=ta)
    assert r.status == 400


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        '[0, 1e400, "x"]',
        "[0, " + "9" * 400 + ', "x"]',
        "[" * 5000 + "]" * 5000,
        '[0, 1, ["x"]]',
        '[true, 1, "x"]',
        "{}",
        '[0, NaN, "x"]',
    ],
)
async def test_a_crafted_cursor_is_a_400_never_a_500(api, payload):
    _, token = await api.register("alice")
    r = await api.call("GET", f"/api/conversations?cursor={_cursor(payload)}", token=token)
    assert (r.status, r.error) == (400, "invalid_request"), r.body
    r = await api.call("GET", "/api/conversations?cursor=" + "A" * 10_000, token=token)
    assert (r.status, r.error) == (400, "invalid_request")


async def test_the_notify_setting_defaults_by_type_and_is_the_callers_own(api):
    a, ta = await api.register("alice")
    b, tb = await api.register("bob")
    direct = await api.call(
        "POST", "/api/conversations", {"type": "direct", "user_id": b["id"]}, token=ta
    )
    group = await api.call(
        "POST",
        "/api/conversations",
        {"type": "group", "name": "g", "member_ids": [b["id"]]},
        token=ta,
    )
    assert (direct.body["notify"], group.body["notify"]) == ("all", "mentions")
    r = await api.call(
        "PUT", f"/api/conversations/{group.body['id']}/settings", {"notify": "none"}, token=tb
    )
    assert r.status == 200 and r.body["notify"] == "none"
    mine = await api.call("GET", f"/api/conversations/{group.body['id']}", token=ta)
    assert mine.body["notify"] == "mentions"
    bad = await api.call(
        "PUT", f"/api/conversations/{group.body['id']}/settings", {"notify": "loud"}, token=tb
    )
    assert (bad.status, bad.body["error"]["field"]) == (400, "notify")
