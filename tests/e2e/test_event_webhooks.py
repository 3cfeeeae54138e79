"""Event webhooks (issue 26, item 6): an app's backend registers a URL with its server key and
hears every change there, signed, at least once, in order per conversation, retried with
backoff and kept as dead after the last attempt; on SQLite and MongoDB (nx-27017), and across
a SIGKILL between a send and its delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.e2e.conftest import Api
from tests.e2e.processes import ServerProcess, call
from tests.e2e.receivers import Receiver, until

FAST = {
    "webhook_poll_s": 0.05,
    "webhook_retry_base_s": 0.05,
    "webhook_retry_max_s": 0.2,
    "webhook_timeout_s": 2.0,
}


def verified(secret: str, r) -> dict:
    """The event, once its signature checks out (as a receiver would check it)."""
    header = r.headers["x-ezchat-webhook-signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    mac = hmac.new(secret.encode(), f"{parts['t']}.".encode() + r.body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], mac.hexdigest())
    assert abs(int(parts["t"]) - time.time()) < 60
    event = json.loads(r.body)
    assert r.headers["x-ezchat-event-id"] == event["id"]
    assert r.headers["x-ezchat-event-type"] == event["type"]
    return event


def events_of(receiver: Receiver, secret: str) -> list[dict]:
    return [verified(secret, r) for r in receiver.answered(200)]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


async def start_on(request, start_server, storage: str, **overrides):
    if storage == "mongo":
        url = request.getfixturevalue("mongo_urls")["nx"]
        overrides.update(storage="mongo", mongodb_url=url, mongodb_db=f"wh{time.time_ns()}")
    return await start_server(**FAST, **overrides)


@pytest.mark.parametrize("storage", ["sqlite", "mongo"])
@pytest.mark.gen_test(timeout=60)
async def test_an_app_hears_every_change_signed_and_in_order(
    request, start_server, receiver, storage
):
    running = await start_on(request, start_server, storage)
    api = Api(running.base)
    key = await running.app.services.apps.create_key("backend")
    made = await api.call(
        "POST", "/api/server/webhooks", {"url": receiver.url(), "events": ["*"]}, token=key
    )
    assert made.status == 201, made.body
    secret = made.body["secret"]
    assert made.body["events"] == ["*"] and secret
    listed = await api.call("GET", "/api/server/webhooks", token=key)
    assert [w["id"] for w in listed.body["webhooks"]] == [made.body["id"]]
    assert "secret" not in listed.body["webhooks"][0]  # shown once, at creation

    for ext in ("ada", "bob", "cy"):
        r = await api.call("PUT", f"/api/server/users/{ext}", {"display_name": ext}, token=key)
        assert r.status == 201
    await api.call("PUT", "/api/server/users/ada", {"display_name": "Ada L."}, token=key)
    group = await api.call(
        "POST",
        "/api/server/conversations",
        {"type": "group", "name": "team", "member_external_ids": ["ada", "bob"]},
        token=key,
    )
    conv = group.body["id"]
    token = (await api.call("POST", "/api/server/users/ada/tokens", {}, token=key)).body["token"]
    sent = []
    for i in range(6):
        r = await api.call(
            "POST", f"/api/conversations/{conv}/messages", {"client_id": f"m{i}", "text": str(i)},
            token=token,
        )  # fmt: skip
        assert r.status == 201, r.body
        sent.append(r.body)
    first = sent[0]["id"]
    base = f"/api/conversations/{conv}/messages/{first}"
    assert (await api.call("PATCH", base, {"text": "zero"}, token=token)).status == 200
    assert (await api.call("PUT", f"{base}/reactions/%F0%9F%91%8D", token=token)).status in (
        200,
        201,
        204,
    )
    assert (await api.call("DELETE", base, token=token)).status in (200, 204)
    cy = (await api.call("GET", "/api/server/users/cy", token=key)).body["id"]
    add = await api.call("POST", f"/api/conversations/{conv}/members", {"user_id": cy}, token=token)
    assert add.status in (200, 201), add.body
    gone = await api.call("DELETE", f"/api/conversations/{conv}/members/{cy}", token=token)
    assert gone.status in (200, 204)
    renamed = await api.call("PATCH", f"/api/conversations/{conv}", {"name": "crew"}, token=token)
    assert renamed.status == 200, renamed.body
    assert (await api.call("DELETE", f"/api/conversations/{conv}", token=token)).status in (
        200,
        204,
    )

    wanted = {
        "user.created": 3,
        "user.updated": 1,
        "conversation.created": 1,
        "message.new": 6,
        "message.updated": 1,
        "reaction.updated": 1,
        "message.deleted": 1,
        "member.added": 1,
        "member.removed": 1,
        "conversation.updated": 1,
        "conversation.deleted": 1,
    }

    def complete():
        kinds = [e["type"] for e in events_of(receiver, secret)]
        return all(kinds.count(k) >= n for k, n in wanted.items())

    await until(complete, "every event at the webhook")
    events = events_of(receiver, secret)
    assert len({e["id"] for e in events}) == len(events) == sum(wanted.values())
    in_conv = [e for e in events if e["type"] not in ("user.created", "user.updated")]
    # One conversation's events arrive in the order they happened.
    assert [e["type"] for e in in_conv] == [
        "conversation.created",
        *["message.new"] * 6,
        "message.updated",
        "reaction.updated",
        "message.deleted",
        "member.added",
        "member.removed",
        "conversation.updated",
        "conversation.deleted",
    ]
    news = [e["data"]["message"] for e in in_conv if e["type"] == "message.new"]
    assert [m["seq"] for m in news] == sorted(m["seq"] for m in news)
    assert [m["id"] for m in news] == [m["id"] for m in sent]  # the same objects as the API's
    assert in_conv[7]["data"]["message"]["text"] == "zero"
    assert in_conv[9]["data"]["message"]["deleted"] is True
    assert in_conv[10]["data"] == {"conversation_id": conv, "user_id": cy}
    assert in_conv[12]["data"]["conversation"]["name"] == "crew"
    created = [e["data"]["user"] for e in events if e["type"] == "user.created"]
    assert sorted(u["external_id"] for u in created) == ["ada", "bob", "cy"]

    deliveries = await api.call(
        "GET", f"/api/server/webhooks/{made.body['id']}/deliveries?limit=5", token=key
    )
    assert deliveries.status == 200 and len(deliveries.body["deliveries"]) == 5
    latest = deliveries.body["deliveries"][0]
    assert latest["event_type"] == "conversation.deleted" and latest["status"] == "delivered"
    assert latest["attempts"] == 1 and latest["last_error"] is None
    api.http.close()


@pytest.mark.gen_test(timeout=60)
async def test_failures_are_retried_in_order_then_dead_and_hold_no_other_conversation(
    start_server, receiver
):
    running = await start_server(**FAST, webhook_max_attempts=3)
    api = Api(running.base)
    key = await running.app.services.apps.create_key("backend")
    made = await api.call(
        "POST",
        "/api/server/webhooks",
        {"url": receiver.url(), "events": ["message.new"], "secret": "a-secret-of-our-own-1"},
        token=key,
    )
    assert made.status == 201 and made.body["secret"] == "a-secret-of-our-own-1"
    for ext in ("ada", "bob"):
        await api.call("PUT", f"/api/server/users/{ext}", {}, token=key)
    convs = []
    for name in ("one", "two"):
        r = await api.call(
            "POST", "/api/server/conversations",
            {"type": "group", "name": name, "member_external_ids": ["ada", "bob"]}, token=key,
        )  # fmt: skip
        convs.append(r.body["id"])
    # The first message of "one" fails twice then goes; the second waits behind it.
    receiver.answers.extend([500, 503])
    for text, conv in (("a1", convs[0]), ("a2", convs[0])):
        r = await api.call(
            "POST", f"/api/server/conversations/{conv}/messages",
            {"as": "ada", "client_id": text, "text": text}, token=key,
        )  # fmt: skip
        assert r.status == 201
    await until(lambda: len(receiver.answered(200)) == 2, "both after the retries")
    texts = [json.loads(r.body)["data"]["message"]["text"] for r in receiver.all()]
    assert texts == ["a1", "a1", "a1", "a2"]  # retried, in order, the same event each time
    assert len({json.loads(r.body)["id"] for r in receiver.all()[:3]}) == 1

    # Three failures: dead. The conversation goes on after it; the other never waited.
    receiver.answers.extend([500, 500, 500])
    for text, conv in (("b1", convs[0]), ("b2", convs[0])):
        await api.call(
            "POST", f"/api/server/conversations/{conv}/messages",
            {"as": "ada", "client_id": text, "text": text}, token=key,
        )  # fmt: skip
    await until(lambda: len(receiver.answered(200)) == 3, "the message after the dead one")
    hook = made.body["id"]
    listed = await api.call("GET", f"/api/server/webhooks/{hook}/deliveries", token=key)
    by_state = {d["status"] for d in listed.body["deliveries"]}
    assert by_state == {"delivered", "dead"}
    dead = [d for d in listed.body["deliveries"] if d["status"] == "dead"]
    assert len(dead) == 1 and dead[0]["attempts"] == 3 and dead[0]["last_error"] == "HTTP 500"
    assert dead[0]["last_status_code"] == 500

    # Removed: nothing more is sent, its deliveries are gone.
    assert (await api.call("DELETE", f"/api/server/webhooks/{hook}", token=key)).status == 204
    assert (await api.call("DELETE", f"/api/server/webhooks/{hook}", token=key)).status == 404
    before = len(receiver.all())
    await api.call(
        "POST", f"/api/server/conversations/{convs[1]}/messages",
        {"as": "ada", "client_id": "c1", "text": "c1"}, token=key,
    )  # fmt: skip
    gone = await api.call("GET", f"/api/server/webhooks/{hook}/deliveries", token=key)
    assert gone.status == 404
    assert len(receiver.all()) == before
    api.http.close()


@pytest.mark.gen_test(timeout=30)
async def test_webhook_requests_are_checked(start_server):
    strict = await start_server(outbound_allow_private=False)
    api = Api(strict.base)
    key = await strict.app.services.apps.create_key("backend")

    async def make(body, token=key):
        return await api.call("POST", "/api/server/webhooks", body, token=token)

    ok = {"url": "https://hooks.example.com/x", "events": ["message.new"]}
    for bad, field in (
        ({**ok, "url": "http://127.0.0.1:9/x"}, "url"),  # loopback: private addresses are off
        ({**ok, "url": "http://10.0.0.8/x"}, "url"),
        ({**ok, "url": "http://hooks.example.com/x"}, "url"),  # plain http to the internet
        ({**ok, "url": "ftp://hooks.example.com/x"}, "url"),
        ({**ok, "url": 12}, "url"),
        ({**ok, "events": []}, "events"),
        ({**ok, "events": ["message.sent"]}, "events"),
        ({**ok, "events": "message.new"}, "events"),
        ({**ok, "secret": "short"}, "secret"),
    ):
        r = await make(bad)
        assert r.status == 400 and r.body["error"]["field"] == field, (bad, r.body)
    assert (await make(ok, token=None)).status == 401
    user = await api.call(
        "POST", "/api/auth/register", {"username": "someone", "password": "password-1"}
    )
    assert (await make(ok, token=user.body["token"])).status == 401
    assert (await make(ok)).status == 201
    api.http.close()


def test_a_send_acknowledged_before_a_sigkill_is_delivered_after_restart_once(tmp_path):
    """The receiver refuses until the server is killed: the acknowledged send's event was only
    in the store. After the restart it arrives, with the id of the failed attempts, once."""
    receiver = Receiver(default_status=503)
    env = {
        "STORAGE": "sqlite",
        "WEBHOOK_POLL_S": "0.05",
        "WEBHOOK_RETRY_BASE_S": "0.05",
        "WEBHOOK_RETRY_MAX_S": "0.2",
        "WEBHOOK_TIMEOUT_S": "1",
        "WEBHOOK_LEASE_S": "2",
    }
    server = ServerProcess(tmp_path, **env)
    try:
        server.wait_ready()
        from tests.e2e.test_server_api import ezchat

        key = ezchat(tmp_path, "keys", "create", "backend").stdout.splitlines()[0].strip()
        base = server.base
        hook = {"url": receiver.url(), "events": ["message.new"]}
        call(base, "POST", "/api/server/webhooks", hook, key)
        for ext in ("ada", "bob"):
            call(base, "PUT", f"/api/server/users/{ext}", {}, key)
        conv = call(
            base, "POST", "/api/server/conversations",
            {"type": "direct", "member_external_ids": ["ada", "bob"]}, key,
        )["id"]  # fmt: skip
        sent = call(
            base, "POST", f"/api/server/conversations/{conv}/messages",
            {"as": "ada", "client_id": "k", "text": "survives"}, key,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not receiver.answered(503):
            assert time.monotonic() < deadline, "no attempt before the kill"
            time.sleep(0.05)
        server.stop()  # SIGKILL
        receiver.default_status = 200
        server = ServerProcess(tmp_path, PORT=str(server.port), **env)
        server.wait_ready()

        def delivered() -> list[dict]:
            return [json.loads(r.body) for r in receiver.answered(200)]

        deadline = time.monotonic() + 20
        while not any(e["type"] == "message.new" for e in delivered()):
            assert time.monotonic() < deadline, "the event never arrived after the restart"
            time.sleep(0.05)
        time.sleep(0.5)  # anything sent twice would have come by now
        news = [e for e in delivered() if e["type"] == "message.new"]
        assert len(news) == 1 and news[0]["data"]["message"]["id"] == sent["id"]
        failed_ids = {json.loads(r.body)["id"] for r in receiver.answered(503)}
        assert failed_ids == {news[0]["id"]}  # the same event id throughout
    finally:
        server.stop()
        receiver.stop()
