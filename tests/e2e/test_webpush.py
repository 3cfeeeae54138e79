"""Web Push against a real local push endpoint: the request carries a VAPID JWT signed with the
server's key and an RFC 8291 payload that the test's own subscription keys decrypt; a push
service answering 410 ends the subscription."""

import base64
import json
import os
import time

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.e2e.conftest import Api
from tests.e2e.receivers import Receiver, until


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """What a browser keeps for one push subscription: a P-256 key pair and an auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def verify_vapid(authorization: str, server_key: str, audience: str) -> dict:
    """RFC 8292: ``vapid t=<JWT>, k=<public key>``; the JWT is ES256 over that key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == server_key
    head, claims, signature = fields["t"].split(".")
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    try:
        public.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            f"{head}.{claims}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        raise AssertionError("the VAPID signature does not verify") from None
    decoded = json.loads(unb64url(claims))
    assert decoded["aud"] == audience
    assert time.time() < decoded["exp"] <= time.time() + 24 * 3600
    assert decoded["sub"].startswith("mailto:")
    return decoded


@pytest.fixture
def push_service():
    r = Receiver(default_status=201)
    yield r
    r.stop()


@pytest.fixture
def pushing(start_server, io_loop, tmp_path):
    running = io_loop.run_sync(
        lambda: start_server(
            notify_delay_s=0.2, notify_poll_s=0.05, notify_retry_base_s=0.1, notify_retry_max_s=0.5
        )
    )
    api = Api(running.base)
    yield running, api
    api.http.close()


@pytest.mark.gen_test(timeout=30)
async def test_a_push_service_gets_a_vapid_signed_payload_the_browser_decrypts(
    pushing, push_service
):
    running, api = pushing
    key = (await api.call("GET", "/api/push/vapid-public-key")).body["public_key"]
    assert len(unb64url(key)) == 65
    alice, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    browser = Browser(push_service.url("/push/bob-laptop"))
    r = await api.call("POST", "/api/push/subscriptions", browser.subscription(), token=tb)
    assert r.status == 201 and r.body["endpoint"] == browser.endpoint
    cid = await api.direct(ta, bob["id"])
    body = {"client_id": "p1", "text": "héllo @bob 😀 over Web Push"}
    sent = await api.call("POST", f"/api/conversations/{cid}/messages", body, token=ta)
    [got] = await until(push_service.all, "the push request")
    assert got.path == "/push/bob-laptop"
    verify_vapid(got.headers["authorization"], key, f"http://127.0.0.1:{push_service.port}")
    assert got.headers["content-encoding"] == "aes128gcm"
    assert got.headers["ttl"] == "86400" and got.headers["urgency"] == "high"  # a mention
    assert 1 <= len(got.headers["topic"]) <= 32
    payload = browser.decrypt(got.body)
    assert payload["preview"] == "héllo @bob 😀 over Web Push"
    assert payload["message_id"] == sent.body["id"] and payload["user_id"] == bob["id"]
    assert payload["sender"]["username"] == "alice" and payload["mentioned"] is True


@pytest.mark.gen_test(timeout=30)
async def test_a_gone_subscription_is_removed_and_others_still_get_it(pushing, push_service):
    running, api = pushing
    _, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    old, new = Browser(push_service.url("/push/old")), Browser(push_service.url("/push/new"))
    for b in (old, new):
        assert (
            await api.call("POST", "/api/push/subscriptions", b.subscription(), token=tb)
        ).status == 201
    push_service.answers.append(410)  # the first request: whichever goes first is "gone"
    cid = await api.direct(ta, bob["id"])
    await api.call(
        "POST", f"/api/conversations/{cid}/messages", {"client_id": "g", "text": "hi"}, token=tb
    )  # bob's own message: nobody to tell
    await api.call(
        "POST", f"/api/conversations/{cid}/messages", {"client_id": "g2", "text": "hi"}, token=ta
    )
    await until(lambda: len(push_service.all()) == 2, "both subscriptions tried")
    await until(lambda: running.app.notifier.results["sent"] == 1, "the outcome")
    gone = next(r.path for r in push_service.all() if r.status == 410)
    r = await api.call("GET", "/api/push/subscriptions", token=tb)
    assert [s["endpoint"] for s in r.body["subscriptions"]] == [
        push_service.url(p) for p in ("/push/old", "/push/new") if p != gone
    ]


@pytest.mark.gen_test(timeout=30)
async def test_a_failing_push_service_is_retried_for_that_device_only(pushing, push_service):
    running, api = pushing
    _, ta = await api.register("alice")
    bob, tb = await api.register("bob")
    for name in ("a", "b"):
        sub = Browser(push_service.url(f"/push/{name}")).subscription()
        assert (await api.call("POST", "/api/push/subscriptions", sub, token=tb)).status == 201
    push_service.answers.append(429)
    cid = await api.direct(ta, bob["id"])
    await api.call(
        "POST", f"/api/conversations/{cid}/messages", {"client_id": "r", "text": "x"}, token=ta
    )
    await until(lambda: running.app.notifier.results["sent"] == 1, "the delivery")
    statuses = [(r.path, r.status) for r in push_service.all()]
    refused = next(p for p, s in statuses if s == 429)
    assert sorted(statuses) == sorted(
        [
            (refused, 429),
            (refused, 201),
            *[(p, 201) for p in ("/push/a", "/push/b") if p != refused],
        ]
    )


@pytest.mark.gen_test
async def test_subscriptions_are_checked_and_belong_to_their_user(pushing, push_service):
    running, api = pushing
    _, ta = await api.register("alice")
    _, tb = await api.register("bob")
    good = Browser("https://push.example.com/abc").subscription()
    bad_cases = [
        ({**good, "endpoint": "http://push.example.com/abc"}, "endpoint"),
        ({**good, "endpoint": "ftp://x/y"}, "endpoint"),
        ({**good, "endpoint": "https://user:pw@push.example.com/"}, "endpoint"),
        ({**good, "endpoint": "https://" + "a" * 3000 + ".com/"}, "endpoint"),
        (
            {**good, "keys": {**good["keys"], "p256dh": b64url(b"\x04" + b"\x01" * 64)}},
            "keys.p256dh",
        ),
        ({**good, "keys": {**good["keys"], "p256dh": "not base64!"}}, "keys.p256dh"),
        ({**good, "keys": {**good["keys"], "auth": b64url(b"short")}}, "keys.auth"),
        ({"endpoint": good["endpoint"]}, "keys"),
    ]
    for body, field in bad_cases:
        r = await api.call("POST", "/api/push/subscriptions", body, token=ta)
        assert (r.status, r.error, r.body["error"].get("field")) == (
            400,
            "invalid_request",
            field,
        ), body
    assert (await api.call("POST", "/api/push/subscriptions", good)).status == 401
    assert (await api.call("POST", "/api/push/subscriptions", good, token=ta)).status == 201
    r = await api.call(
        "DELETE", "/api/push/subscriptions", {"endpoint": good["endpoint"]}, token=tb
    )
    assert r.status == 404  # not bob's
    r = await api.call("DELETE", "/api/push/subscriptions?endpoint=" + good["endpoint"], token=ta)
    assert r.status == 204
    assert (await api.call("GET", "/api/push/subscriptions", token=ta)).body == {
        "subscriptions": []
    }


@pytest.mark.gen_test
async def test_the_vapid_key_outlives_a_restart(start_server, tmp_path):
    first = await start_server()
    second = await start_server()  # same DATA_DIR
    assert first.app.services.vapid_public_key == second.app.services.vapid_public_key
    assert (tmp_path / "vapid_private_key.pem").stat().st_mode & 0o077 == 0
    off = await start_server(web_push=False)
    api = Api(off.base)
    try:
        r = await api.call("GET", "/api/push/vapid-public-key")
        assert (r.status, r.error) == (404, "not_found")
    finally:
        api.http.close()
