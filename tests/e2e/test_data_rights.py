"""Issue 28, items 3 (ERASE_ON_DELETE), 4 (exports) and 5 (retention), through the real app
on SQLite and nx-27017."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from ezchat.domain.messages import NewMessage
from tests.e2e.conftest import Api
from tests.e2e.test_files import fetch, upload
from tests.e2e.test_threads import register, send, storage_overrides
from tests.e2e.wsclient import Ws


async def _group(api: Api, token: str, *member_ids: str) -> str:
    r = await api.call("POST", "/api/conversations",
                       {"type": "group", "name": "team", "member_ids": list(member_ids)},
                       token=token)  # fmt: skip
    assert r.status == 201, r.body
    return r.body["id"]


async def _direct(api: Api, token: str, other: str) -> str:
    r = await api.call("POST", "/api/conversations", {"type": "direct", "user_id": other},
                       token=token)  # fmt: skip
    assert r.status in (200, 201), r.body
    return r.body["id"]


async def until(check, what: str, deadline_s: float = 30):
    """``check()``'s first true answer, asked every 50 ms (a loaded machine builds slowly)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while loop.time() < end:
        if answer := await check():
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {deadline_s} s: {what}")


async def ready(api: Api, path: str, token: str):
    async def check():
        got = await fetch(api, path, token)
        assert got.code in (200, 202), (got.code, got.body)
        return got if got.code == 200 else None

    return await until(check, f"{path} ready")


def is_deleted(frame: dict) -> bool:
    """A delete, as WebSocket clients get it: the message as it now is, deleted."""
    return bool(frame["payload"]["message"]["deleted"])


async def _history(api: Api, conv: str, token: str) -> list[dict]:
    r = await api.call("GET", f"/api/conversations/{conv}/messages?limit=100", token=token)
    assert r.status == 200, r.body
    return r.body["messages"]


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_an_erased_account_leaves_tombstones_in_place_and_its_files_go(
    request, start_server, storage
):
    running = await start_server(erase_on_delete=True, **storage_overrides(request, storage, "er"))
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    team = await _group(api, a, b_id)
    direct = await _direct(api, a, b_id)
    up = await upload(api, b, b"ben's bytes", name="notes.txt", ctype="text/plain")
    assert up.status == 201, up.body
    file_id = up.body["id"]
    said = await send(api, team, b, "b1", "zebracrossing plans")
    await api.call("POST", f"/api/conversations/{team}/messages",
                   {"client_id": "b2", "text": "with a file",
                    "attachments": [{"file_id": file_id}]}, token=b)  # fmt: skip
    await send(api, direct, b, "b3", "zebracrossing private")
    reply = await send(api, team, a, "a1", "answering ben", reply_to=said["id"])
    ws = await Ws.connect(running.ws_base, a, header=True)

    gone = await api.call("DELETE", "/api/users/me", {"password": "password-1"}, token=b)
    assert gone.status == 204, gone.body
    deleted = [await ws.expect("message.updated", is_deleted, timeout=10) for _ in range(3)]
    assert {f["payload"]["message"]["id"] for f in deleted} >= {said["id"]}
    history = await _history(api, team, a)
    assert [m["seq"] for m in history] == [1, 2, 3]  # places kept
    assert [(m["deleted"], m["text"]) for m in history[:2]] == [(True, ""), (True, "")]
    assert history[2]["id"] == reply["id"] and history[2]["reply_to"] == said["id"]
    assert history[2]["text"] == "answering ben"
    assert [m["deleted"] for m in await _history(api, direct, a)] == [True]
    found = await api.call("GET", "/api/search?q=zebracrossing", token=a)
    assert found.status == 200 and found.body["messages"] == [], found.body
    assert (await fetch(api, f"/api/files/{file_id}", a)).code == 404
    assert not await running.app.services.files.blobs.exists(file_id)
    ws.conn.close()


@pytest.mark.gen_test(timeout=60)
async def test_an_export_is_built_in_the_background_and_given_only_to_its_owner(start_server):
    running = await start_server()
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    await api.call("POST", "/api/contacts", {"user_id": b_id}, token=a)
    team = await _group(api, a, b_id)
    direct = await _direct(api, a, b_id)
    up = await upload(api, a, b"ann's file bytes", name="plan.txt", ctype="text/plain")
    file_id = up.body["id"]
    await api.call("POST", f"/api/conversations/{team}/messages",
                   {"client_id": "a1", "text": "mine in the group",
                    "attachments": [{"file_id": file_id}]}, token=a)  # fmt: skip
    await send(api, team, b, "b1", "ben's in the group")
    await send(api, direct, a, "a2", "to ben")
    await send(api, direct, b, "b2", "to ann")

    asked = await api.call("POST", "/api/users/me/export", token=a)
    assert asked.status == 202, asked.body
    export = asked.body["export"]
    assert export["status"] in ("pending", "ready")
    again = await api.call("POST", "/api/users/me/export", token=a)
    assert again.body["export"]["id"] == export["id"] or export["status"] == "ready"
    path = f"/api/users/me/exports/{export['id']}"
    assert (await api.call("GET", path, token=b)).status == 404  # only its owner
    got = await ready(api, path, a)
    assert got.headers["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(got.body))
    names = set(zf.namelist())
    assert {"profile.json", "contacts.json", f"conversations/{team}.json",
            f"conversations/{direct}.json", f"files/{file_id}/plan.txt"} == names  # fmt: skip
    assert json.loads(zf.read("profile.json"))["username"] == "ann"
    assert [c["user_id"] for c in json.loads(zf.read("contacts.json"))] == [b_id]
    group = json.loads(zf.read(f"conversations/{team}.json"))
    assert [m["text"] for m in group["messages"]] == ["mine in the group"]  # sent only
    assert group["conversation"]["name"] == "team"
    dm = json.loads(zf.read(f"conversations/{direct}.json"))
    assert [m["text"] for m in dm["messages"]] == ["to ben", "to ann"]  # sent and received
    assert zf.read(f"files/{file_id}/plan.txt") == b"ann's file bytes"
    listed = (await api.call("GET", "/api/users/me/exports", token=a)).body["exports"]
    assert [e["status"] for e in listed] == ["ready"] and listed[0]["size"] == len(got.body)
    assert (await api.call("GET", "/api/users/me/exports", token=b)).body["exports"] == []
    assert (await api.call("DELETE", path, token=b)).status == 404
    assert (await api.call("DELETE", path, token=a)).status == 204
    assert (await api.call("GET", path, token=a)).status == 404
    assert (await api.call("GET", "/api/users/me/exports/not-an-id", token=a)).status == 404


@pytest.mark.gen_test(timeout=60)
async def test_exports_expire_and_a_build_given_up_by_its_process_is_done_again(start_server):
    running = await start_server(export_ttl_s=1, export_lease_s=30)  # never claimed: due at once
    api = Api(running.base)
    _, a = await register(api, "ann")
    services = running.app.services
    export = await services.exports.request((await api.call("GET", "/api/users/me", token=a))
                                            .body["id"])  # fmt: skip

    async def status(export_id: str):
        found = await services.exports.store.get(export_id)
        return found.status if found else None

    await until(lambda: _is(status(export.id), "ready"), "the first export built")
    stuck = await services.exports.request(export.owner_id)  # a new one, its builder "dies"
    for task in list(services.exports._building):
        task.cancel()
    first = await services.exports.store.get(export.id)
    now = services.clock.now().timestamp()
    await asyncio.sleep(max(first.expires_at - now, 0) + 0.1)  # the first one expires
    await running.app.housekeeper.round()
    assert await services.exports.store.get(export.id) is None
    assert not await services.files.blobs.exists(export.blob_key)
    await until(lambda: _is(status(stuck.id), "ready"), "the given-up export built again")


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_retention_sweeps_what_is_older_than_a_groups_retention(
    request, start_server, storage
):
    running = await start_server(**storage_overrides(request, storage, "ret"))
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, b = await register(api, "ben")
    team = await _group(api, a, b_id)
    other = await _group(api, a, b_id)
    path = f"/api/conversations/{team}"
    assert (await api.call("PATCH", path, {"retention_days": 7}, token=b)).status == 403
    for wrong in (0, -1, 36501, "7", 1.5, True):
        r = await api.call("PATCH", path, {"retention_days": wrong}, token=a)
        assert r.status == 400, (wrong, r.body)
    direct = await _direct(api, a, b_id)
    r = await api.call("PATCH", f"/api/conversations/{direct}", {"retention_days": 7}, token=a)
    assert r.status == 400
    set_ = await api.call("PATCH", path, {"retention_days": 7}, token=a)
    assert set_.status == 200 and set_.body["retention_days"] == 7
    stores = running.app.services.stores
    old = datetime.now(UTC) - timedelta(days=8)
    for conv in (team, other):
        for i in range(3):
            await stores.messages.add(NewMessage(
                conversation_id=conv, sender_id=b_id, client_id=f"old{conv}{i}",
                text=f"old {i}", attachments=(), reply_to=None, created_at=old,
            ))  # fmt: skip
    fresh = await send(api, team, b, "new1", "fresh")
    ws = await Ws.connect(running.ws_base, a, header=True)
    await running.app.housekeeper.round()
    swept = [await ws.expect("message.updated", is_deleted, timeout=10) for _ in range(3)]
    assert {f["payload"]["message"]["text"] for f in swept} == {""}
    history = await _history(api, team, a)
    assert [(m["text"], m["deleted"]) for m in history] == [
        ("", True), ("", True), ("", True), ("fresh", False),
    ]  # fmt: skip
    assert history[-1]["id"] == fresh["id"]
    assert all(not m["deleted"] for m in await _history(api, other, a))  # no retention there
    cleared = await api.call("PATCH", path, {"retention_days": None}, token=a)
    assert cleared.body["retention_days"] is None
    ws.conn.close()


@pytest.mark.gen_test(timeout=60)
async def test_the_servers_retention_covers_every_conversation(start_server):
    running = await start_server(retention_days=1)
    api = Api(running.base)
    a_id, a = await register(api, "ann")
    b_id, _ = await register(api, "ben")
    direct = await _direct(api, a, b_id)
    await running.app.services.stores.messages.add(NewMessage(
        conversation_id=direct, sender_id=a_id, client_id="old", text="old",
        attachments=(), reply_to=None, created_at=datetime.now(UTC) - timedelta(days=2),
    ))  # fmt: skip
    await send(api, direct, a, "new", "new")
    assert await running.app.services.sweeper.expire_all() == 1
    assert [m["deleted"] for m in await _history(api, direct, a)] == [True, False]


def test_the_cli_exports_a_user_to_a_file_and_audits_it(tmp_path):
    import sqlite3

    from tests.e2e.test_admin import ezchat

    sqlite3.connect(tmp_path / "ezchat.db").close()  # a database where the server runs
    assert ezchat(tmp_path, "migrate", "--apply").returncode == 0
    made = ezchat(tmp_path, "users", "create", "bob", "--password-stdin", stdin="password-9\n")
    assert made.returncode == 0, made.stderr
    out = tmp_path / "bob.zip"
    done = ezchat(tmp_path, "export", "bob", "--out", str(out))
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("profile.json"))["username"] == "bob"
        assert json.loads(zf.read("contacts.json")) == []
    assert "user.export" in ezchat(tmp_path, "audit").stdout
    nobody = ezchat(tmp_path, "export", "nobody", "--out", str(tmp_path / "x.zip"))
    assert nobody.returncode == 2 and "no user" in nobody.stderr
    assert not (tmp_path / "x.zip").exists()
    assert [p.name for p in tmp_path.glob("*.zip")] == ["bob.zip"]  # no temporary left


@pytest.mark.gen_test(timeout=60)
async def test_new_exports_are_rate_limited(start_server):
    running = await start_server()
    api = Api(running.base)
    _, a = await register(api, "ann")
    made = []
    for _ in range(3):
        asked = await api.call("POST", "/api/users/me/export", token=a)
        assert asked.status == 202, asked.body
        made.append(asked.body["export"]["id"])
        await ready(api, f"/api/users/me/exports/{made[-1]}", a)  # not "the one pending"
    limited = await api.call("POST", "/api/users/me/export", token=a)
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0, limited.body
    listed = (await api.call("GET", "/api/users/me/exports", token=a)).body["exports"]
    assert sorted(e["id"] for e in listed) == sorted(made)


async def _is(value, wanted) -> bool:
    return (await value) == wanted
