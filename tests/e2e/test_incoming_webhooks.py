"""Incoming webhooks (issue 26, item 8): a group's admin, or the app's backend with a server
key, makes a URL that posts into the group as a bot named after the hook; the URL is the only
credential, rate-limited like a user, and revoking it ends it and takes its bot out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws


async def register(api: Api, name: str) -> tuple[str, str]:
    r = await api.call("POST", "/api/auth/register", {"username": name, "password": "password-1"})
    assert r.status == 201, r.body
    return r.body["user"]["id"], r.body["token"]


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_an_admin_makes_a_hook_that_posts_as_its_bot(request, start_server, storage):
    overrides: dict[str, object] = {"message_burst": 4, "message_rate_per_sec": 0.01}
    if storage == "mongo":
        url = request.getfixturevalue("mongo_urls")["nx"]
        overrides.update(storage="mongo", mongodb_url=url, mongodb_db=f"ih{id(request)}")
    running = await start_server(**overrides)
    api = Api(running.base)
    admin_id, admin = await register(api, "admin")
    member_id, member = await register(api, "member")
    group = await api.call(
        "POST", "/api/conversations",
        {"type": "group", "name": "ops", "member_ids": [member_id]}, token=admin,
    )  # fmt: skip
    assert group.status == 201, group.body
    conv = group.body["id"]
    path = f"/api/conversations/{conv}/incoming-webhooks"
    ws = await Ws.connect(running.ws_base, member, header=True)

    refused = await api.call("POST", path, {"name": "CI"}, token=member)
    assert refused.status == 403  # only admins
    made = await api.call("POST", path, {"name": "CI"}, token=admin)
    assert made.status == 201, made.body
    url = made.body["url"]
    assert url.startswith("/hooks/ezh_") and made.body["name"] == "CI"
    joined = await ws.expect("member.added")
    bot_id = joined["payload"]["user_id"]
    assert bot_id == made.body["bot_id"]

    posted = await api.call("POST", url, {"text": "build 42 passed"})
    assert posted.status == 201, posted.body
    assert posted.body["sender_id"] == bot_id and posted.body["text"] == "build 42 passed"
    heard = await ws.expect("message.new")
    assert heard["payload"]["message"]["id"] == posted.body["id"]
    bot = await api.call("GET", f"/api/users/{bot_id}", token=member)
    assert bot.body["bot"] is True and bot.body["display_name"] == "CI"
    again = await api.call("POST", url, {"text": "build 42 passed", "client_id": "b42"})
    repeat = await api.call("POST", url, {"text": "build 42 passed", "client_id": "b42"})
    assert again.status == 201 and repeat.status == 200 and repeat.body["id"] == again.body["id"]

    # Bad input: a clear error, nothing posted.
    assert (await api.call("POST", url, {"text": ""})).status == 400
    assert (await api.call("POST", url, {})).status == 400
    assert (await api.call("POST", "/hooks/ezh_" + "A" * 43, {"text": "x"})).status == 404
    assert (await api.call("POST", "/hooks/nonsense", {"text": "x"})).status == 404
    # Rate-limited like a user: the burst (4) is spent, the next one waits.
    limited = await api.call("POST", url, {"text": "flood"})
    assert limited.status == 429 and "Retry-After" in limited.headers

    listed = await api.call("GET", path, token=admin)
    assert [h["id"] for h in listed.body["incoming_webhooks"]] == [made.body["id"]]
    assert "url" not in listed.body["incoming_webhooks"][0]  # the token is shown once
    assert (await api.call("GET", path, token=member)).status == 403

    gone = await api.call("DELETE", f"{path}/{made.body['id']}", token=admin)
    assert gone.status == 204
    assert (await api.call("POST", url, {"text": "after"})).status == 404
    left = await api.call("GET", f"/api/conversations/{conv}", token=admin)
    assert bot_id not in [m["user_id"] for m in left.body["members"]]
    assert (await api.call("DELETE", f"{path}/{made.body['id']}", token=admin)).status == 404
    api.http.close()


@pytest.mark.gen_test(timeout=60)
async def test_a_server_key_makes_hooks_for_the_apps_groups(start_server):
    running = await start_server()
    api = Api(running.base)
    key = await running.app.services.apps.create_key("backend")
    for ext in ("a", "b"):
        await api.call("PUT", f"/api/server/users/{ext}", {}, token=key)
    direct = await api.call(
        "POST", "/api/server/conversations",
        {"type": "direct", "member_external_ids": ["a", "b"]}, token=key,
    )  # fmt: skip
    group = await api.call(
        "POST", "/api/server/conversations",
        {"type": "group", "name": "g", "member_external_ids": ["a", "b"]}, token=key,
    )  # fmt: skip
    server_path = f"/api/server/conversations/{group.body['id']}/incoming-webhooks"
    made = await api.call("POST", server_path, {"name": "Deploys"}, token=key)
    assert made.status == 201, made.body
    assert made.body["conversation_id"] == group.body["id"]
    posted = await api.call("POST", made.body["url"], {"text": "v2 is out"})
    assert posted.status == 201
    on_direct = f"/api/server/conversations/{direct.body['id']}/incoming-webhooks"
    assert (await api.call("POST", on_direct, {"name": "x"}, token=key)).status == 400
    nowhere = "/api/server/conversations/nope/incoming-webhooks"
    assert (await api.call("POST", nowhere, {"name": "x"}, token=key)).status == 404
    assert (await api.call("POST", server_path, {"name": ""}, token=key)).status == 400
    assert (await api.call("POST", server_path, {"name": "x"})).status == 401
    listed = await api.call("GET", server_path, token=key)
    assert len(listed.body["incoming_webhooks"]) == 1
    hook = made.body["id"]
    assert (await api.call("DELETE", f"{server_path}/{hook}", token=key)).status == 204
    assert (await api.call("POST", made.body["url"], {"text": "x"})).status == 404
    api.http.close()
