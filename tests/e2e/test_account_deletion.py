"""Deleting an account (issue 28, item 3, in part) on SQLite and nx-27017: by its owner with
their password, or by an admin. At once its tokens and sockets end, its push subscriptions and
contacts go, it leaves its groups; its messages stay from "Deleted user"; it can never log in
or be enabled again; the last admin cannot be deleted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ezchat.domain.outbox import PushSubscription
from tests.e2e.conftest import Api
from tests.e2e.test_registration_modes import an_admin
from tests.e2e.test_threads import register, send, storage_overrides
from tests.e2e.wsclient import Ws


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_an_account_deleted_by_its_owner_is_gone_at_once(request, start_server, storage):
    running = await start_server(**storage_overrides(request, storage, "del"))
    api = Api(running.base)
    stores = running.app.services.stores
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    c_id, _ = await register(api, "cat")
    team = (await api.call("POST", "/api/conversations",
                           {"type": "group", "name": "team", "member_ids": [b_id, c_id]},
                           token=a)).body["id"]  # fmt: skip
    direct = (await api.call("POST", "/api/conversations", {"type": "direct", "user_id": a_id},
                             token=b)).body["id"]  # fmt: skip
    said = await send(api, direct, b, "d1", "remember this")
    await api.call("POST", "/api/contacts", {"user_id": a_id}, token=b)
    await api.call("POST", f"/api/contacts/{b_id}/accept", token=a)
    await stores.push.put(
        PushSubscription("https://push.test/ben", b_id, "k", "a", datetime.now(UTC)), keep=5
    )
    ws = await Ws.connect(running.ws_base, b, header=True)

    wrong = await api.call("DELETE", "/api/users/me", {"password": "nope-nope"}, token=b)
    assert wrong.status == 401
    gone = await api.call("DELETE", "/api/users/me", {"password": "password-1"}, token=b)
    assert gone.status == 204, gone.body
    assert await ws.close_code(timeout=10) is not None  # the socket ends
    assert (await api.call("GET", "/api/users/me", token=b)).status == 401
    login = await api.call("POST", "/api/auth/login", {"username": "ben", "password": "password-1"})
    assert login.status == 403
    assert await stores.push.for_user(b_id) == []
    assert (await api.call("GET", "/api/contacts", token=a)).body["contacts"] == []
    conv = (await api.call("GET", f"/api/conversations/{team}", token=a)).body
    assert {m["user_id"] for m in conv["members"]} == {a_id, c_id}
    history = (await api.call("GET", f"/api/conversations/{direct}/messages", token=a)).body
    assert [m["text"] for m in history["messages"]] == [said["text"]]  # kept
    shown = (await api.call("GET", f"/api/users/{b_id}", token=a)).body
    assert shown["display_name"] == "Deleted user" and shown["avatar_url"] is None
    again = await api.call("POST", "/api/auth/register",
                           {"username": "ben", "password": "password-1"})  # fmt: skip
    assert again.status == 409  # the name stays taken

    admin = await an_admin(running, api)
    assert (await api.call("POST", f"/api/admin/users/{b_id}/enable", token=admin)).status == 409
    assert (await api.call("DELETE", f"/api/admin/users/{b_id}", token=admin)).status == 404
    assert (await api.call("DELETE", f"/api/admin/users/{c_id}", token=a)).status == 403
    assert (await api.call("DELETE", f"/api/admin/users/{c_id}", token=admin)).status == 204
    me = (await api.call("GET", "/api/users/me", token=admin)).body["id"]
    last = await api.call("DELETE", f"/api/admin/users/{me}", token=admin)
    assert last.status == 409  # the last admin
    log = (await api.call("GET", "/api/admin/audit?action=account.delete", token=admin)).body
    assert {(e["actor"], e["target"]) for e in log["entries"]} == {(b_id, b_id), (me, c_id)}
