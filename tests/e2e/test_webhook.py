"""The webhook channel against a real HTTP receiver: signed, retried, never lost to a SIGKILL,
and silent for what was read, deleted or muted."""

import contextlib
import hashlib
import hmac
import json
import sqlite3
import time
import uuid

import pytest

from tests.e2e.conftest import Api
from tests.e2e.processes import ServerProcess, call, new_direct, register
from tests.e2e.receivers import Receiver, until

SECRET = "webhook-test-secret"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def fast(receiver, **more):
    return {
        "notify_webhook_url": receiver.url(),
        "notify_webhook_secret": SECRET,
        "web_push": False,
        "notify_delay_s": 0.2,
        "notify_poll_s": 0.05,
        "notify_retry_base_s": 0.1,
        "notify_retry_max_s": 0.5,
        "notify_timeout_s": 2,
        "notify_lease_s": 5,
        **more,
    }


@pytest.fixture
def hooked(start_server, io_loop, receiver):
    running = io_loop.run_sync(lambda: start_server(**fast(receiver)))
    api = Api(running.base)
    yield running, api
    api.http.close()


async def post(api, token, cid, text):
    body = {"client_id": uuid.uuid4().hex, "text": text}
    r = await api.call("POST", f"/api/conversations/{cid}/messages", body, token=token)
    assert r.status == 201, r.body
    return r.body


def verify(header: str, body: bytes) -> int | None:
    """The receiver's check from docs/api.md: the signed timestamp, or None when it fails."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["v1"]):
        return None
    return int(fields["t"])


def unfinished(env: dict[str, str], data_dir) -> int:
    """Notifications still in the shared store's outbox, not dead."""
    if env.get("STORAGE") == "mongo":
        import pymongo

        client: pymongo.MongoClient = pymongo.MongoClient(env["MONGODB_URL"])
        try:
            outbox = client[env["MONGODB_DB"]]["outbox"]
            return int(outbox.count_documents({"state": {"$ne": "dead"}}))
        finally:
            client.close()
    with contextlib.closing(sqlite3.connect(f"file:{data_dir}/ezchat.db?mode=ro", uri=True)) as c:
        return int(c.execute("SELECT count(*) FROM outbox WHERE state != 'dead'").fetchone()[0])


def results(running):
    return running.app.notifier.results


@pytest.mark.gen_test(timeout=30)
async def test_the_webhook_gets_a_signed_notification(hooked, receiver):
    running, api = hooked
    alice, ta = await api.register("alice")
    bob, _ = await api.register("bob")
    cid = await api.direct(ta, bob["id"])
    message = await post(api, ta, cid, "hello bob, " + "x" * 300)
    [got] = await until(receiver.all, "the webhook")
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["x-ezchat-signature"], expected)
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    stamp = int(got.headers["x-ezchat-timestamp"])
    assert abs(stamp - time.time()) < 60
    assert body["sent_at"].startswith(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)))
    assert got.headers["x-ezchat-notification-id"] == body["id"]
    assert verify(got.headers["x-ezchat-webhook-signature"], got.body) == stamp
    # The timestamp is signed with the body: a replay with a fresh one fails the check.
    replayed = got.headers["x-ezchat-webhook-signature"].replace(f"t={stamp}", f"t={stamp + 600}")
    assert verify(replayed, got.body) is None
    assert verify(got.headers["x-ezchat-webhook-signature"], got.body + b" ") is None
    assert body["user_id"] == bob["id"] and body["conversation_id"] == cid
    assert (body["count"], body["message_id"], body["message_seq"]) == (1, message["id"], 1)
    assert body["sender"] == {"id": alice["id"], "username": "alice", "display_name": "alice"}
    assert body["conversation_type"] == "direct" and body["mentioned"] is False
    assert len(body["preview"]) == 200 and body["preview"].startswith("hello bob, xxx")


@pytest.mark.gen_test(timeout=30)
async def test_a_500_is_retried_with_the_same_id(hooked, receiver):
    running, api = hooked
    receiver.answers.extend([500, 503])
    _, ta = await api.register("alice")
    bob, _ = await api.register("bob")
    await post(api, ta, await api.direct(ta, bob["id"]), "again and again")
    await until(lambda: receiver.answered(200), "a delivery after two failures")
    sent = receiver.all()
    assert [r.status for r in sent] == [500, 503, 200]
    assert len({json.loads(r.body)["id"] for r in sent}) == 1
    assert sent[1].at - sent[0].at >= 0.05  # a backoff, not a loop
    await until(lambda: results(running)["sent"] == 1, "the outcome")
    assert results(running)["retry"] == 2
    assert await running.app.services.stores.outbox.counts() == {"open": 0, "sending": 0, "dead": 0}


@pytest.mark.gen_test(timeout=30)
async def test_a_refusal_is_kept_dead_and_not_retried(hooked, receiver):
    running, api = hooked
    receiver.answers.append(400)
    _, ta = await api.register("alice")
    bob, _ = await api.register("bob")
    await post(api, ta, await api.direct(ta, bob["id"]), "you will refuse this")
    await until(lambda: results(running)["dead"] == 1, "the refusal")
    [dead] = await running.app.services.stores.outbox.dead(10)
    assert dead.last_error == "webhook: HTTP 400"
    assert len(receiver.all()) == 1


@pytest.mark.gen_test(timeout=30)
async def test_read_deleted_and_muted_messages_send_nothing(hooked, receiver):
    running, api = hooked
    _, ta = await api.register("alice")
    users = {name: await api.register(name) for name in ("bob", "carol", "dave", "erin")}
    cids = {name: await api.direct(ta, u["id"]) for name, (u, _) in users.items()}
    r = await api.call(
        "PUT",
        f"/api/conversations/{cids['dave']}/settings",
        {"muted": True},
        token=users["dave"][1],
    )
    assert r.status == 200
    read = await post(api, ta, cids["bob"], "bob reads this on his phone")
    r = await api.call(
        "POST",
        f"/api/conversations/{cids['bob']}/read",
        {"seq": read["seq"]},
        token=users["bob"][1],
    )
    assert r.status in (200, 204), r.body
    gone = await post(api, ta, cids["carol"], "sent to the wrong person")
    r = await api.call(
        "DELETE", f"/api/conversations/{cids['carol']}/messages/{gone['id']}", token=ta
    )
    assert r.status in (200, 204), r.body
    await post(api, ta, cids["dave"], "dave muted this conversation")
    await post(api, ta, cids["erin"], "erin gets this one")
    # The read and the deleted one were queued and dropped when due; the muted one never was.
    await until(
        lambda: results(running)["sent"] == 1 and results(running)["skipped"] == 2, "all four"
    )
    [got] = receiver.all()
    assert json.loads(got.body)["user_id"] == users["erin"][0]["id"]
    assert await running.app.services.stores.outbox.counts() == {"open": 0, "sending": 0, "dead": 0}


@pytest.mark.gen_test(timeout=60)
async def test_nothing_is_lost_to_a_sigkill_in_the_middle_of_retries(tmp_path, receiver):
    receiver.default_status = 500
    env = {
        key.upper(): str(value)
        for key, value in fast(receiver, notify_timeout_s=1, notify_lease_s=2).items()
    }
    server = ServerProcess(tmp_path, **env)
    server.wait_ready()
    _, ta = register(server.base, "alice")
    bob, _ = register(server.base, "bob")
    cid = new_direct(server.base, ta, bob)
    message = call(
        server.base,
        "POST",
        f"/api/conversations/{cid}/messages",
        {"client_id": "k1", "text": "survive"},
        token=ta,
    )
    await until(lambda: len(receiver.answered(500)) >= 2, "two failed attempts")
    server.stop()  # SIGKILL, between retries or in the middle of one
    failed = receiver.all()
    receiver.default_status = 200
    again = ServerProcess(tmp_path, **env)
    try:
        again.wait_ready()
        [ok] = await until(lambda: receiver.answered(200), "the delivery after the restart")
    finally:
        again.stop()
    body = json.loads(ok.body)
    assert body["message_id"] == message["id"] and body["user_id"] == bob["id"]
    assert {json.loads(r.body)["id"] for r in failed} == {body["id"]}  # one notification, retried


@pytest.mark.gen_test(timeout=90)
@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
async def test_two_processes_on_one_store_send_each_notification_once(
    tmp_path, receiver, storage, request
):
    env = {key.upper(): str(value) for key, value in fast(receiver).items()}
    if storage == "mongo":
        env |= {
            "STORAGE": "mongo",
            "MONGODB_URL": request.getfixturevalue("nx_server").url,
            "MONGODB_DB": f"notify_{uuid.uuid4().hex[:8]}",
        }
    servers = [ServerProcess(tmp_path, **env) for _ in range(2)]
    for s in servers:
        s.wait_ready()
    base = servers[0].base
    _, ta = register(base, "alice")
    others = [register(base, f"user{i}")[0] for i in range(30)]
    for i, other in enumerate(others):
        cid = call(
            base, "POST", "/api/conversations", {"type": "direct", "user_id": other["id"]}, token=ta
        )["id"]
        # Sent through both processes: each queues half, either may deliver any.
        call(
            servers[i % 2].base,
            "POST",
            f"/api/conversations/{cid}/messages",
            {"client_id": f"m{i}", "text": "hi"},
            token=ta,
        )
    await until(lambda: len(receiver.all()) >= 30, "30 notifications", deadline_s=40)
    # Every entry is removed once delivered: with none left, no second delivery can come.
    await until(lambda: unfinished(env, tmp_path) == 0, "the outbox emptied", deadline_s=40)
    ids = [json.loads(r.body)["id"] for r in receiver.all()]
    assert len(ids) == len(set(ids)) == 30
    sent = [
        call(s.base, "GET", "/api/system", token=ta)["ezchat"]["notifications"]["sent"]
        for s in servers
    ]
    assert sum(sent) == 30, sent
    assert {json.loads(r.body)["user_id"] for r in receiver.all()} == {o["id"] for o in others}
