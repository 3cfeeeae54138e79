"""Apps on EZChat (issue 26, items 1-3): server keys from the admin command, provisioning users
by external id, tokens for them; keys and user tokens each refused where the other belongs."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.e2e.processes import ROOT, ServerProcess, call


def ezchat(data_dir, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "DATA_DIR": str(data_dir), "STORAGE": "sqlite", "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "ezchat", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def status(base: str, method: str, path: str, body=None, token=None) -> int:
    try:
        call(base, method, path, body, token=token)
        return 200
    except AssertionError as exc:
        return int(str(exc).split(":")[1].split()[0])


def test_a_backend_with_a_key_provisions_users_and_gets_their_tokens(tmp_path):
    server = ServerProcess(tmp_path)
    server.wait_ready()
    try:
        base = server.base
        made = ezchat(tmp_path, "keys", "create", "backend")
        assert made.returncode == 0, made.stderr
        key = made.stdout.splitlines()[0].strip()
        assert key.startswith("ezk_")
        listed = ezchat(tmp_path, "keys", "list")
        assert "backend" in listed.stdout and key not in listed.stdout  # kept as a hash only
        assert ezchat(tmp_path, "keys", "create", "backend").returncode != 0  # one active name

        # Provisioning: made once, then brought up to date; idempotent.
        first = call(base, "PUT", "/api/server/users/app-user-42", {"display_name": "Ada"}, key)
        assert first["external_id"] == "app-user-42" and first["display_name"] == "Ada"
        again = call(
            base, "PUT", "/api/server/users/app-user-42", {"avatar_url": "https://x/a.png"}, key
        )
        assert again["id"] == first["id"] and again["avatar_url"] == "https://x/a.png"
        assert again["display_name"] == "Ada"

        # A token for that user works on user routes; the key does not, nor a user token here.
        issued = call(base, "POST", "/api/server/users/app-user-42/tokens", {"ttl_s": 600}, key)
        me = call(base, "GET", "/api/users/me", token=issued["token"])
        assert me["id"] == first["id"] and me["external_id"] == "app-user-42"
        assert status(base, "GET", "/api/users/me", token=key) == 401
        assert status(base, "PUT", "/api/server/users/x", {}, issued["token"]) == 401
        assert status(base, "PUT", "/api/server/users/x", {}) == 401
        assert status(base, "PUT", "/api/server/users/x", {}, "ezk_forged") == 401
        assert status(base, "PUT", "/api/server/users/bad%2Fid", {}, key) == 400
        assert status(base, "POST", "/api/server/users/nobody/tokens", {}, key) == 404
        assert (
            status(base, "POST", "/api/server/users/app-user-42/tokens", {"ttl_s": 1}, key) == 400
        )
        # A provisioned user has no password: nothing logs in as them.
        login = {"username": me["username"], "password": "anything-at-all"}
        assert status(base, "POST", "/api/auth/login", login) == 401

        # Deleting disables: the token stops at once.
        assert status(base, "DELETE", "/api/server/users/app-user-42", None, key) == 200
        assert status(base, "GET", "/api/users/me", token=issued["token"]) == 401

        # Revoked on the command line: refused within the revocation delay.
        assert ezchat(tmp_path, "keys", "revoke", "backend").returncode == 0
        import time

        deadline = time.monotonic() + 10
        while status(base, "PUT", "/api/server/users/later", {}, key) != 401:
            assert time.monotonic() < deadline, "the revoked key still works"
            time.sleep(0.2)
        assert "revoked" in ezchat(tmp_path, "keys", "list").stdout
    finally:
        server.stop()


@pytest.mark.gen_test(timeout=30)
async def test_concurrent_provisioning_of_one_id_makes_one_user(running):
    apps = running.app.services.apps
    key = await apps.create_key("racer")
    assert (await apps.authenticate_key(key)).name == "racer"
    results = await asyncio.gather(
        *(
            apps.provision(
                "same", username=None, display_name=None, avatar_url=None, avatar_given=False
            )
            for _ in range(10)
        )
    )
    assert len({u.id for u, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    from ezchat.domain.errors import Conflict

    with pytest.raises(Conflict):  # the username asked for is the first user's
        await apps.provision(
            "other", username="same", display_name=None, avatar_url=None, avatar_given=False
        )
    derived = await apps.provision(
        "SAME", username=None, display_name=None, avatar_url=None, avatar_given=False
    )
    assert derived[1] and derived[0].username.startswith("same-")  # a free name found


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=30)
async def test_a_backend_makes_conversations_and_sends_as_its_users(request, start_server, storage):
    from tests.e2e.conftest import Api
    from tests.e2e.wsclient import Ws

    overrides = {}
    if storage == "mongo":
        url = request.getfixturevalue("mongo_urls")["nx"]
        overrides = {"storage": "mongo", "mongodb_url": url, "mongodb_db": f"sa{id(request)}"}
    running = await start_server(**overrides)

    api = Api(running.base)
    key = await running.app.services.apps.create_key("acting")
    for ext in ("u-1", "u-2", "u-3"):
        r = await api.call("PUT", f"/api/server/users/{ext}", {"display_name": ext}, token=key)
        assert r.status == 201, r.body
    token2 = (await api.call("POST", "/api/server/users/u-2/tokens", {}, token=key)).body["token"]
    ws = await Ws.connect(running.ws_base, token2, header=True)

    direct = await api.call(
        "POST",
        "/api/server/conversations",
        {"type": "direct", "member_external_ids": ["u-1", "u-2"]},
        token=key,
    )
    assert direct.status == 201, direct.body
    group = await api.call(
        "POST",
        "/api/server/conversations",
        {"type": "group", "name": "team", "member_external_ids": ["u-1", "u-2", "u-3"]},
        token=key,
    )
    assert group.status == 201 and len(group.body["members"]) == 3
    admin = [m for m in group.body["members"] if m["role"] == "admin"]
    assert len(admin) == 1
    await ws.expect("conversation.created")

    sent = await api.call(
        "POST",
        f"/api/conversations/{group.body['id']}/messages".replace("/api/", "/api/server/", 1),
        {"as": "u-1", "client_id": "k1", "text": "hello from the app"},
        token=key,
    )
    assert sent.status == 201, sent.body
    heard = await ws.expect("message.new")
    assert heard["payload"]["message"]["text"] == "hello from the app"
    again = await api.call(
        "POST",
        f"/api/server/conversations/{group.body['id']}/messages",
        {"as": "u-1", "client_id": "k1", "text": "hello from the app"},
        token=key,
    )
    assert again.status == 200 and again.body["id"] == sent.body["id"]  # idempotent as ever

    nobody = await api.call(
        "POST",
        f"/api/server/conversations/{group.body['id']}/messages",
        {"as": "ghost", "client_id": "k2", "text": "x"},
        token=key,
    )
    assert nobody.status == 400 and nobody.body["error"]["field"] == "as"
    outsider = await api.call(
        "POST",
        f"/api/server/conversations/{direct.body['id']}/messages",
        {"as": "u-3", "client_id": "k3", "text": "x"},
        token=key,
    )
    assert outsider.status == 404  # not a member: as for the user themselves
    # A bot sends through `as` with its username, once it is a member like anyone.
    bot, _ = await running.app.services.apps.create_bot("deploy-bot", "Deploys")
    admin_token = (await api.call("POST", "/api/server/users/u-1/tokens", {}, token=key)).body
    added = await api.call(
        "POST", f"/api/conversations/{group.body['id']}/members", {"user_id": bot.id},
        token=admin_token["token"],
    )  # fmt: skip
    assert added.status in (200, 201), added.body
    by_bot = await api.call(
        "POST", f"/api/server/conversations/{group.body['id']}/messages",
        {"as": "deploy-bot", "client_id": "b1", "text": "deployed"}, token=key,
    )  # fmt: skip
    assert by_bot.status == 201 and by_bot.body["sender_id"] == bot.id
    heard_bot = await ws.expect(
        "message.new", lambda f: f["payload"]["message"]["id"] == by_bot.body["id"]
    )
    assert heard_bot["payload"]["message"]["text"] == "deployed"
    user_token = await api.call(
        "POST",
        "/api/server/conversations",
        {"type": "group", "name": "x", "member_external_ids": ["u-1"]},
        token=token2,
    )
    assert user_token.status == 401
    api.http.close()


def test_bots_have_tokens_that_last_send_and_never_show_online(tmp_path):
    server = ServerProcess(tmp_path)
    server.wait_ready()
    try:
        base = server.base
        made = ezchat(tmp_path, "bots", "create", "helper", "--display-name", "Helper")
        assert made.returncode == 0, made.stderr
        token = made.stdout.splitlines()[0].strip()
        bot = call(base, "GET", "/api/users/me", token=token)
        assert bot["bot"] is True and bot["display_name"] == "Helper"
        people = call(
            base, "POST", "/api/auth/register", {"username": "human", "password": "password-1"}
        )
        group = {"type": "group", "name": "g", "member_ids": [bot["id"]]}
        cid = call(base, "POST", "/api/conversations", group, token=people["token"])["id"]
        said = call(
            base,
            "POST",
            f"/api/conversations/{cid}/messages",
            {"client_id": "b1", "text": "beep"},
            token=token,
        )
        assert said["sender_id"] == bot["id"]
        assert "helper" in ezchat(tmp_path, "bots", "list").stdout
        assert ezchat(tmp_path, "bots", "revoke", "helper").returncode == 0
        import time

        deadline = time.monotonic() + 10
        while status(base, "GET", "/api/users/me", token=token) != 401:
            assert time.monotonic() < deadline, "the revoked bot token still works"
            time.sleep(0.2)
        fresh = ezchat(tmp_path, "bots", "token", "helper").stdout.strip()
        assert call(base, "GET", "/api/users/me", token=fresh)["id"] == bot["id"]
    finally:
        server.stop()


def test_a_key_revoked_through_one_process_is_refused_by_another(tmp_path, redis_url):
    import time
    import uuid

    shared = {
        "STORAGE": "sqlite",
        "SECRET_KEY": "shared-secret",
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}",
    }
    a, b = ServerProcess(tmp_path, **shared), ServerProcess(tmp_path, **shared)
    try:
        a.wait_ready()
        b.wait_ready()
        key = ezchat(tmp_path, "keys", "create", "shared").stdout.splitlines()[0].strip()
        for server in (a, b):  # both take it (and each now believes it for a while)
            assert status(server.base, "PUT", "/api/server/users/x-1", {}, key) == 200
        assert ezchat(tmp_path, "keys", "revoke", "shared").returncode == 0
        deadline = time.monotonic() + 10  # REVOCATION_POLL_S is 2 s; a margin for the VM
        while status(b.base, "PUT", "/api/server/users/x-1", {}, key) != 401:
            assert time.monotonic() < deadline, "the other process still takes the revoked key"
            time.sleep(0.2)
        assert status(a.base, "PUT", "/api/server/users/x-1", {}, key) == 401
    finally:
        a.stop()
        b.stop()


@pytest.mark.gen_test(timeout=30)
async def test_a_connected_bot_is_never_one_of_the_people_online(running):
    from tests.e2e.conftest import Api
    from tests.e2e.wsclient import Ws

    api = Api(running.base)
    bot, token = await running.app.services.apps.create_bot("watcher")
    person, tp = await api.register()
    group = {"type": "group", "name": "g", "member_ids": [bot.id]}
    assert (await api.call("POST", "/api/conversations", group, token=tp)).status == 201
    ws = await Ws.connect(running.ws_base, token, header=True)
    await ws.barrier()
    await asyncio.sleep(0.3)
    seen = await api.call("GET", f"/api/users/{bot.id}", token=tp)
    assert seen.body["status"] == "offline" and seen.body["bot"] is True
    me = await api.call("GET", "/api/users/me", token=token)
    assert me.body["status"] == "offline"
    api.http.close()
