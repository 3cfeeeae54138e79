"""A WebSocket test client over Tornado's own client: frames as dicts, replies by id, and a
ping/pong barrier to prove that nothing else was queued (the server's outbox is FIFO)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from ezchat.entry.apidocs import asyncapi

_ids = itertools.count(1)
# Every frame any test receives is held to the published AsyncAPI schemas.
_FRAMES = Draft202012Validator(asyncapi.server_frame_schema(), format_checker=FormatChecker())


def check_frame(frame: Any) -> None:
    errors = sorted(_FRAMES.iter_errors(frame), key=lambda e: e.path)
    if errors:
        raise AssertionError(f"frame breaks the AsyncAPI schema: {frame!r}: {errors[0].message}")


class Ws:
    # Every client opened in a test; the e2e conftest closes them all at teardown.
    opened: list[Ws] = []

    def __init__(self, conn: WebSocketClientConnection) -> None:
        self.conn = conn
        self.backlog: list[dict[str, Any]] = []  # frames read but not yet taken
        self.closed_with: int | None = None

    @classmethod
    async def connect(
        cls, ws_base: str, token: str | None, *, header: bool = False, hello: bool = True
    ) -> Ws:
        url, headers = ws_base, {}
        if token and header:
            headers["Authorization"] = f"Bearer {token}"
        elif token:
            url += f"?token={token}"
        conn = await websocket_connect(HTTPRequest(url, headers=headers), ping_interval=None)
        ws = cls(conn)
        cls.opened.append(ws)
        if hello:
            await ws.expect("hello")
        return ws

    async def _read(self, timeout: float) -> dict[str, Any] | None:
        raw = await asyncio.wait_for(self.conn.read_message(), timeout)
        if raw is None:
            self.closed_with = self.conn.close_code
            return None
        frame = json.loads(raw)
        check_frame(frame)
        return frame

    def send_raw(self, data: str | bytes, binary: bool = False) -> None:
        self.conn.write_message(data, binary=binary)

    async def request(
        self, kind: str, payload: Any = None, *, timeout: float = 5, **fields: Any
    ) -> dict[str, Any]:
        """Send a frame with a fresh id and return the reply carrying that id."""
        frame_id = fields.pop("id", f"f{next(_ids)}")
        frame = {
            "type": kind,
            "id": frame_id,
            **({"payload": payload} if payload is not None else {}),
        }
        self.conn.write_message(json.dumps(frame))
        return await self.expect(None, lambda f: f.get("id") == frame_id, timeout=timeout)

    async def expect(
        self,
        kind: str | None,
        where: Callable[[dict[str, Any]], bool] = lambda f: True,
        *,
        timeout: float = 5,
    ) -> dict[str, Any]:
        """The first frame (of ``kind``) matching ``where``, from the backlog or the wire."""
        for i, f in enumerate(self.backlog):
            if (kind is None or f["type"] == kind) and where(f):
                return self.backlog.pop(i)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            read = await self._read(max(0.01, deadline - loop.time()))
            if read is None:
                raise AssertionError(f"closed ({self.closed_with}) while waiting for {kind}")
            f = read
            if (kind is None or f["type"] == kind) and where(f):
                return f
            self.backlog.append(f)

    async def barrier(self) -> None:
        """Everything the server queued for this connection before now has arrived."""
        reply = await self.request("ping", {})
        assert reply["type"] == "pong", reply

    def taken(self, kind: str) -> list[dict[str, Any]]:
        """Frames of ``kind`` waiting in the backlog, removed from it."""
        out = [f for f in self.backlog if f["type"] == kind]
        self.backlog = [f for f in self.backlog if f["type"] != kind]
        return out

    async def close_code(self, timeout: float = 5) -> int | None:
        """Read until the server closes; the close code."""
        while True:
            f = await self._read(timeout)
            if f is None:
                return self.closed_with
            self.backlog.append(f)

    def close(self) -> None:
        self.conn.close()
