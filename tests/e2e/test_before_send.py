"""The before-send hook (issue 26, item 7): every send goes to the app's hook first, which
allows, rejects (403 rejected, an error frame on the socket) or replaces the text; a hook that
fails is handled by BEFORE_SEND_FAILURE; calls are concurrent, not one after another."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws

SECRET = "hook-secret"


class Hook(BaseHTTPRequestHandler):
    seen: list = []
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        cls = type(self)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(
            p.split("=", 1) for p in self.headers["X-EZChat-Webhook-Signature"].split(",")
        )
        mac = hmac.new(
            SECRET.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(mac, fields["v1"])
        text = json.loads(body)["message"]["text"]
        with cls.lock:
            cls.seen.append(text)
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
        try:
            if text.startswith("slow"):
                time.sleep(0.2)
            if text == "too slow":
                time.sleep(2)
            if text == "broken":
                self.send_response(500)
                self.end_headers()
                return
            if text.startswith("bad"):
                answer = {"action": "reject", "reason": "no bad words here"}
            elif text.startswith("darn"):
                answer = {"action": "replace", "text": text.replace("darn", "****")}
            else:
                answer = {"action": "allow"}
            out = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook():
    handler = type("H", (Hook,), {"seen": [], "in_flight": 0, "most": 0, "lock": threading.Lock()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/check", handler
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("failure", ["open", "closed"])
async def test_the_hook_allows_rejects_replaces_and_fails_as_told(start_server, hook, failure):
    url, handler = hook
    running = await start_server(
        before_send_url=url,
        before_send_secret=SECRET,
        before_send_timeout_ms=500,
        before_send_failure=failure,
        message_rate_per_sec=1000,
        message_burst=1000,
    )
    api = Api(running.base)
    alice, ta = await api.register()
    bob, tb = await api.register()
    cid = await api.direct(ta, bob["id"])
    path = f"/api/conversations/{cid}/messages"

    ok = await api.call("POST", path, {"client_id": "1", "text": "hello"}, token=ta)
    assert ok.status == 201 and ok.body["text"] == "hello"
    no = await api.call("POST", path, {"client_id": "2", "text": "bad idea"}, token=ta)
    assert no.status == 403 and no.error == "rejected"
    assert no.body["error"]["message"] == "no bad words here"
    swapped = await api.call("POST", path, {"client_id": "3", "text": "darn it"}, token=ta)
    assert swapped.status == 201 and swapped.body["text"] == "**** it"

    ws = await Ws.connect(running.ws_base, ta, header=True)
    frame = await ws.request(
        "message.send", {"conversation_id": cid, "client_id": "4", "text": "bad ws"}
    )
    assert frame["type"] == "error" and frame["payload"]["code"] == "rejected"

    for text in ("broken", "too slow"):
        r = await api.call("POST", path, {"client_id": f"f-{text}", "text": text}, token=ta)
        if failure == "open":
            assert r.status == 201, (text, r.body)
        else:
            assert r.status == 403 and r.error == "rejected", (text, r.body)

    # Concurrent sends are checked concurrently, not one after another.
    await asyncio.gather(
        *(
            api.call("POST", path, {"client_id": f"s{i}", "text": f"slow {i}"}, token=ta)
            for i in range(8)
        )
    )
    assert handler.most >= 2
    page = await api.call("GET", path, token=tb)
    texts = [m["text"] for m in page.body["messages"]]
    assert "bad idea" not in texts and "**** it" in texts and "darn it" not in texts
    api.http.close()
