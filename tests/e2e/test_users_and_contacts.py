import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


async def test_profile_read_update_and_lookup(api):
    me, token = await api.register("alice")
    r = await api.call(
        "PATCH",
        "/api/users/me",
        {"display_name": "Alice", "avatar_url": "https://img.example/a.png"},
        token=token,
    )
    assert r.status == 200 and r.body["display_name"] == "Alice"
    r = await api.call("PATCH", "/api/users/me", {"avatar_url": None}, token=token)
    assert r.body["avatar_url"] is None and r.body["display_name"] == "Alice"
    r = await api.call("PATCH", "/api/users/me", {"avatar_url": "ftp://x"}, token=token)
    assert r.status == 400 and "avatar_url" in r.body["error"]["message"]
    r = await api.call("GET", f"/api/users/{me['id']}", token=token)
    assert r.status == 200 and r.body["display_name"] == "Alice"
    r = await api.call("GET", "/api/users/nobody", token=token)
    assert r.status == 404 and r.error == "not_found"


async def test_user_search_by_prefix_with_limit(api):
    _, token = await api.register("alice")
    await api.register("alina")
    await api.register("bob")
    r = await api.call("GET", "/api/users?q=AL", token=token)
    assert [u["username"] for u in r.body["users"]] == ["alice", "alina"]
    r = await api.call("GET", "/api/users?q=al&limit=1", token=token)
    assert len(r.body["users"]) == 1
    for bad in (
        "/api/users",
        "/api/users?q=al&limit=0",
        "/api/users?q=al&limit=101",
        "/api/users?q=al&limit=ten",
    ):
        r = await api.call("GET", bad, token=token)
        assert r.status == 400 and r.error == "invalid_request", bad


async def test_contact_request_accept_list_block_and_delete(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    r = await api.call("POST", "/api/contacts", {"user_id": bob["id"]}, token=ta)
    assert r.status == 201 and r.body["state"] == "outgoing" and r.body["user"]["id"] == bob["id"]
    r = await api.call("GET", "/api/contacts", token=tb)
    assert [(c["user"]["id"], c["state"]) for c in r.body["contacts"]] == [
        (alice["id"], "incoming")
    ]
    r = await api.call("POST", f"/api/contacts/{alice['id']}/accept", token=tb)
    assert r.status == 200 and r.body["state"] == "accepted"
    r = await api.call("GET", "/api/contacts", token=ta)
    assert r.body["contacts"][0]["state"] == "accepted" and r.body["contacts"][0]["since"].endswith(
        "Z"
    )
    r = await api.call("POST", f"/api/contacts/{alice['id']}/block", token=tb)
    assert r.status == 200 and r.body["state"] == "blocked"
    assert (await api.call("GET", "/api/contacts", token=ta)).body["contacts"] == []
    r = await api.call("POST", "/api/contacts", {"user_id": bob["id"]}, token=ta)
    assert r.status == 403 and r.error == "forbidden"
    r = await api.call("DELETE", f"/api/contacts/{alice['id']}", token=tb)
    assert r.status == 204 and r.body is None
    r = await api.call("DELETE", f"/api/contacts/{alice['id']}", token=tb)
    assert r.status == 404


async def test_mutual_requests_accept_with_200(api):
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    await api.call("POST", "/api/contacts", {"user_id": bob["id"]}, token=ta)
    r = await api.call("POST", "/api/contacts", {"user_id": alice["id"]}, token=tb)
    assert r.status == 200 and r.body["state"] == "accepted"


async def test_contact_errors(api):
    alice, ta = await api.register("alice")
    for body, status in [
        ({"user_id": alice["id"]}, 400),
        ({"user_id": "ghost"}, 404),
        ({"user_id": 1}, 400),
        ({}, 400),
    ]:
        r = await api.call("POST", "/api/contacts", body, token=ta)
        assert r.status == status, body
    r = await api.call("POST", "/api/contacts/ghost/accept", token=ta)
    assert r.status == 404


async def test_presence_is_shown_only_to_users_it_is_shared_with(server, api):
    alice, ta = await api.register("alice")
    _, tb = await api.register("bob")  # shares a group with alice
    _, ts = await api.register("stranger")
    body = {"type": "group", "name": "g", "member_ids": [alice["id"]]}
    assert (await api.call("POST", "/api/conversations", body, token=tb)).status == 201
    ws = await Ws.connect(server.replace("http", "ws", 1) + "/ws", ta)  # alice is online
    try:
        seen_by_bob = (await api.call("GET", f"/api/users/{alice['id']}", token=tb)).body
        assert seen_by_bob["status"] == "online" and seen_by_bob["last_seen"]
        for r in (
            await api.call("GET", f"/api/users/{alice['id']}", token=ts),
            await api.call("GET", "/api/users?q=alice", token=ts),
            await api.call("POST", "/api/contacts", {"user_id": alice["id"]}, token=ts),
        ):
            shown = r.body.get("users", [r.body.get("user", r.body)])[0]
            assert (shown["status"], shown["last_seen"]) == ("offline", None), r.body
    finally:
        ws.close()


async def test_registrations_from_one_address_are_rate_limited(start_server):
    running = await start_server(register_max_per_address=3, register_window_s=600)
    api = Api(running.base)
    try:
        for i in range(3):
            await api.register(f"user{i}")
        r = await api.call(
            "POST", "/api/auth/register", {"username": "one-more", "password": "password-1"}
        )
        assert r.status == 429 and r.error == "rate_limited" and "Retry-After" in r.headers
    finally:
        api.http.close()
