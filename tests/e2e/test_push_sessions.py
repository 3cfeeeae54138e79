"""A push subscription belongs to the session that made it: logging that session out, logging
out everywhere, a password change and a disabled account all end it, and a browser whose
session was revoked gets no notification even before its subscription is removed."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api
from tests.e2e.receivers import Receiver, until
from tests.e2e.test_webpush import Browser

pytestmark = pytest.mark.gen_test(timeout=30)


@pytest.fixture
def push_service():
    r = Receiver(default_status=201)
    yield r
    r.stop()


@pytest.fixture
def pushing(start_server, io_loop):
    running = io_loop.run_sync(lambda: start_server(notify_delay_s=0.1, notify_poll_s=0.05))
    api = Api(running.base)
    yield running, api
    api.http.close()


async def login(api: Api, name: str, password: str = "password-1") -> str:
    r = await api.call("POST", "/api/auth/login", {"username": name, "password": password})
    assert r.status == 200, r.body
    return str(r.body["token"])


async def subscribe(api: Api, token: str, endpoint: str) -> None:
    r = await api.call(
        "POST", "/api/push/subscriptions", Browser(endpoint).subscription(), token=token
    )
    assert r.status == 201, r.body


async def endpoints(api: Api, token: str) -> list[str]:
    r = await api.call("GET", "/api/push/subscriptions", token=token)
    return [s["endpoint"] for s in r.body["subscriptions"]]


async def notified_paths(running, api, push_service, sender_token, conv, text) -> list[str]:
    sent = running.app.notifier.results["sent"] + running.app.notifier.results["skipped"]
    body = {"client_id": text, "text": text}
    await api.call("POST", f"/api/conversations/{conv}/messages", body, token=sender_token)
    await until(
        lambda: (
            running.app.notifier.results["sent"] + running.app.notifier.results["skipped"] > sent
        ),
        "the notification's outcome",
    )
    return sorted(r.path for r in push_service.all() if r.body and text)


async def test_logging_a_session_out_ends_its_subscription_only(pushing, push_service):
    running, api = pushing
    _, ta = await api.register("alice")
    bob, laptop = await api.register("bob")
    phone = await login(api, "bob")
    await subscribe(api, laptop, push_service.url("/laptop"))
    await subscribe(api, phone, push_service.url("/phone"))
    assert (await api.call("POST", "/api/auth/logout", token=laptop)).status == 204
    assert await endpoints(api, phone) == [push_service.url("/phone")]
    conv = await api.direct(ta, bob["id"])
    await notified_paths(running, api, push_service, ta, conv, "one")
    assert [r.path for r in push_service.all()] == ["/phone"]


@pytest.mark.parametrize("how", ["logout-all", "password", "disable"])
async def test_revoking_every_session_ends_their_subscriptions(pushing, push_service, how):
    running, api = pushing
    _, ta = await api.register("alice")
    bob, laptop = await api.register("bob")
    phone = await login(api, "bob")
    await subscribe(api, laptop, push_service.url("/laptop"))
    await subscribe(api, phone, push_service.url("/phone"))
    conv = await api.direct(ta, bob["id"])
    kept: list[str] = []
    if how == "logout-all":
        assert (await api.call("POST", "/api/auth/logout-all", token=phone)).status == 204
    elif how == "password":
        body = {"current_password": "password-1", "new_password": "password-2"}
        r = await api.call("PUT", "/api/users/me/password", body, token=phone)
        assert r.status == 204, r.body
        kept = ["/phone"]  # the session that changed it goes on
        assert await endpoints(api, phone) == [push_service.url("/phone")]
    else:
        await running.app.services.access.set_disabled(bob["id"], True)
    stored = await running.app.services.push.subscriptions(bob["id"])
    assert [s.endpoint for s in stored] == [push_service.url(p) for p in kept]
    await notified_paths(running, api, push_service, ta, conv, "after")
    assert [r.path for r in push_service.all()] == kept


async def test_a_subscription_of_a_revoked_session_gets_nothing_before_it_is_removed(
    pushing, push_service
):
    # Another process (or the admin command) revoked the session, and this one has not
    # removed the subscription: delivery checks the session itself.
    running, api = pushing
    _, ta = await api.register("alice")
    bob, laptop = await api.register("bob")
    await subscribe(api, laptop, push_service.url("/laptop"))
    access = running.app.services.access
    push, access._push = access._push, None  # the removal does not happen here
    try:
        assert (await api.call("POST", "/api/auth/logout", token=laptop)).status == 204
    finally:
        access._push = push
    assert len(await running.app.services.push.subscriptions(bob["id"])) == 1
    conv = await api.direct(ta, bob["id"])
    await notified_paths(running, api, push_service, ta, conv, "x")
    assert push_service.all() == []
