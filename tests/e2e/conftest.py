"""End-to-end fixtures: the real app on a free 127.0.0.1 port, and a small JSON client."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.entry.app import EzChatApp, make_app
from ezchat.entry.main import make_server
from tests.e2e.processes import ServerProcess
from tests.e2e.wsclient import Ws
from tests.support import FAST_HASH_N, test_config


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any

    @property
    def error(self) -> str | None:
        return (
            self.body["error"]["code"]
            if isinstance(self.body, dict) and "error" in self.body
            else None
        )


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = AsyncHTTPClient(force_instance=True)

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        hdrs = dict(headers or {})
        if body is not None or raw is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = b""
        resp = await self.http.fetch(
            HTTPRequest(
                self.base + path,
                method=method,
                body=data,
                headers=hdrs,
                allow_nonstandard_methods=True,
            ),
            raise_error=False,
        )
        text = resp.body.decode() if resp.body else ""
        return Reply(resp.code, json.loads(text) if text else None, resp.headers)

    async def register(self, name: str | None = None) -> tuple[dict, str]:
        name = name or "u" + uuid.uuid4().hex[:10]
        r = await self.call(
            "POST", "/api/auth/register", {"username": name, "password": "password-1"}
        )
        assert r.status == 201, r.body
        return r.body["user"], r.body["token"]

    async def direct(self, token: str, other_id: str) -> str:
        """The id of the caller's direct conversation with ``other_id`` (opened if new)."""
        body = {"type": "direct", "user_id": other_id}
        r = await self.call("POST", "/api/conversations", body, token=token)
        assert r.status in (200, 201), r.body
        return str(r.body["id"])


@pytest.fixture(autouse=True)
def _close_ws_clients(io_loop):
    # Depends on io_loop so that it is torn down first, while the loop still runs.
    yield
    while Ws.opened:
        Ws.opened.pop().close()
    while ServerProcess.started:  # servers a test (or a helper that failed) left running
        ServerProcess.started[-1].stop()


@dataclass
class Running:
    base: str
    app: EzChatApp

    @property
    def ws_base(self) -> str:
        return "ws" + self.base[len("http") :] + "/ws"


@pytest.fixture
def start_server(io_loop, tmp_path):
    """``await start_server(**overrides)``: the real app on a free port with config overrides;
    everything it started stops at teardown."""
    started: list[tuple[HTTPServer, EzChatApp]] = []

    async def start(**overrides: Any) -> Running:
        sock, port = bind_unused_port()
        app = make_app(
            test_config(tmp_path, **overrides), hasher=ScryptPasswordHasher(n=FAST_HASH_N)
        )
        await app.start()
        http = make_server(app.services.config, app.http)
        http.add_sockets([sock])
        started.append((http, app))
        return Running(f"http://127.0.0.1:{port}", app)

    yield start
    # Clients first, so that the server's shutdown finds them gone instead of waiting for them.
    while Ws.opened:
        Ws.opened.pop().close()
    for http, app in reversed(started):
        http.stop()
        io_loop.run_sync(app.aclose)
        io_loop.run_sync(http.close_all_connections)


@pytest.fixture
def running(start_server, io_loop) -> Running:
    """The real app with the test configuration."""
    return io_loop.run_sync(start_server)


@pytest.fixture
def server(running) -> str:
    return running.base


@pytest.fixture
def api(server):
    client = Api(server)
    yield client
    client.http.close()
