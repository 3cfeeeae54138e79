"""One user whose push endpoints never answer costs only their own notifications: another
user's arrives on time while ten hang, and the hung ones end within their own timeout."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Api
from tests.e2e.receivers import Receiver, until
from tests.e2e.test_outbound import RawServer, hang
from tests.e2e.test_webpush import Browser

DELAY_S = 0.3
TIMEOUT_S = 6.0


@pytest.mark.gen_test(timeout=60)
async def test_ten_hung_endpoints_of_one_user_delay_no_one_else(start_server):
    running = await start_server(
        notify_delay_s=DELAY_S, notify_poll_s=0.05, notify_timeout_s=TIMEOUT_S, notify_lease_s=30
    )
    api = Api(running.base)
    black_hole, push_service = RawServer(hang), Receiver(default_status=201)
    try:
        _, ta = await api.register("alice")
        mallory, tm = await api.register("mallory")
        bob, tb = await api.register("bob")
        for n in range(10):
            sub = Browser(black_hole.url().replace("/push", f"/push/{n}")).subscription()
            assert (await api.call("POST", "/api/push/subscriptions", sub, token=tm)).status == 201
        sub = Browser(push_service.url("/push/bob")).subscription()
        assert (await api.call("POST", "/api/push/subscriptions", sub, token=tb)).status == 201
        to_mallory = await api.direct(ta, mallory["id"])
        to_bob = await api.direct(ta, bob["id"])

        body = {"client_id": "m", "text": "for mallory"}
        await api.call("POST", f"/api/conversations/{to_mallory}/messages", body, token=ta)
        await until(lambda: black_hole.connections >= 4, "mallory's endpoints hung", 10)
        sent = time.monotonic()
        body = {"client_id": "b", "text": "for bob"}
        await api.call("POST", f"/api/conversations/{to_bob}/messages", body, token=ta)
        await until(push_service.all, "bob's notification", 10)
        late = time.monotonic() - sent - DELAY_S
        print(f"bob's notification {late * 1000:.0f} ms after it was due, 10 endpoints hung")
        # Before, it queued behind the hung requests for their whole timeout.
        assert late < 2.0, late
        await until(lambda: running.app.notifier.results["retry"] >= 1, "mallory's retry", 20)
    finally:
        black_hole.stop()
        push_service.stop()
        api.http.close()
