"""The fast lane: a conversation's newest page (``GET /api/conversations/{id}/messages``, with
at most ``limit``), read from the caches, answered without Tornado's web layer.

A client opening a conversation reads its newest page; it is the busiest read there is, and
Tornado's ``RequestHandler`` (creating the handler, its headers, routing, finishing, flushing)
cost more than everything EZChat does to answer it. This lane sits in front of the
``Application`` as the HTTP server's delegate. It takes only the plainest form of that request:
HTTP/1.1, no body, a bearer token, no ``Origin`` (no CORS to answer), a sane or no
``X-Request-Id``, no query but ``limit``. Anything else, and any failure on the way (a bad
token, a conversation the caller cannot see, the store away) goes to the ``Application`` as if
the lane were not there, which answers it, errors included: the lane only ever answers 200, with
the body and headers the handler would have given (``tests/e2e/test_fastlane.py`` holds it to
that). It goes through the same services, so membership, caches and metrics are the same.
A request the lane cannot finish is handed to the handler with what went wrong, which answers
it without doing the work again (a store outage costs its retries once). ``FAST_LANE=false``
turns the lane off.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from typing import Any

import tornado
from tornado import httputil
from tornado.web import Application

from ezchat.entry import logs
from ezchat.entry.context import Services
from ezchat.entry.handlers.base import DEFAULT_LIMIT, MAX_LIMIT, record_request
from ezchat.entry.handlers.messages import MessagesHandler, hand_over
from ezchat.entry.headers import API_CSP, EVERY_ANSWER, JSON_ANSWER

_PAGE = re.compile(r"/api/conversations/([A-Za-z0-9_-]{1,128})/messages")
_LIMIT = re.compile(r"limit=([1-9][0-9]{0,2})")
_SERVER = f"TornadoServer/{tornado.version}"
# The route's handler: the lane's requests count under its name.
HANDLER = MessagesHandler.__name__


class FastLane(httputil.HTTPServerConnectionDelegate):
    def __init__(self, application: Application, services: Services) -> None:
        self.application = application
        self.services = services
        self.enabled = services.config.fast_lane
        self.served = 0

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        return _Request(self, server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        self.application.on_close(server_conn)

    def takes(
        self, start_line: httputil.RequestStartLine, headers: httputil.HTTPHeaders
    ) -> tuple[str, int, str, str | None] | None:
        """(conversation id, limit, token, request id) when the lane can answer this request,
        else None."""
        if not self.enabled or start_line.method != "GET" or start_line.version != "HTTP/1.1":
            return None
        path, _, query = start_line.path.partition("?")
        page = _PAGE.fullmatch(path)
        if page is None:
            return None
        limit = DEFAULT_LIMIT
        if query:
            given = _LIMIT.fullmatch(query)
            if given is None or int(given.group(1)) > MAX_LIMIT:
                return None
            limit = int(given.group(1))
        if "Origin" in headers or "Transfer-Encoding" in headers:
            return None
        if headers.get("Content-Length", "0") != "0":
            return None
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        rid = headers.get("X-Request-Id")
        if rid is not None and not logs.good_request_id(rid):
            return None
        return page.group(1), limit, token, rid

    async def page(self, conversation_id: str, limit: int, token: str) -> bytes:
        """The page's body; raises whatever the handler would have answered as an error."""
        session = await self.services.auth.session(token)
        messages, more = await self.services.messages.history(
            session.user.id, conversation_id, before=None, after=None, limit=limit
        )
        text = self.services.json.page(messages, more)
        return self.services.signer.text(text, session.user.id).encode()


class _Request(httputil.HTTPMessageDelegate):
    __slots__ = ("_lane", "_server_conn", "_conn", "_inner", "_body", "_rid", "_line", "_start")

    def __init__(
        self, lane: FastLane, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> None:
        self._lane = lane
        self._server_conn = server_conn
        self._conn = request_conn
        self._inner: httputil.HTTPMessageDelegate | None = None
        self._body: bytes | None = None
        self._rid = ""
        self._line: httputil.RequestStartLine | None = None
        self._start = 0.0

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        assert isinstance(start_line, httputil.RequestStartLine)
        taken = self._lane.takes(start_line, headers)
        if taken is None:
            return self._hand_over(start_line, headers)
        self._start = time.perf_counter()
        self._line = start_line
        # A task of its own, as the handler's would be: its own context for the request id.
        return asyncio.ensure_future(self._try(start_line, headers, *taken))

    async def _try(
        self,
        start_line: httputil.RequestStartLine,
        headers: httputil.HTTPHeaders,
        conversation_id: str,
        limit: int,
        token: str,
        given_rid: str | None,
    ) -> None:
        self._rid = given_rid or logs.new_request_id()
        logs.request_id.set(self._rid)
        try:
            self._body = await self._lane.page(conversation_id, limit, token)
        except Exception as exc:  # the handler answers it as the contract says, not again
            hand_over(self._conn, exc)
            waiting = self._hand_over(start_line, headers)
            if waiting is not None:
                await waiting

    def _hand_over(
        self, start_line: httputil.RequestStartLine, headers: httputil.HTTPHeaders
    ) -> Awaitable[None] | None:
        self._inner = self._lane.application.start_request(self._server_conn, self._conn)
        return self._inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self._inner is not None:
            return self._inner.data_received(chunk)
        return None  # the lane takes no request with a body

    def finish(self) -> None:
        if self._inner is not None:
            self._inner.finish()
            return
        body = self._body
        assert body is not None and self._line is not None
        elapsed = time.perf_counter() - self._start
        headers = httputil.HTTPHeaders(
            {
                "Server": _SERVER,
                **JSON_ANSWER,
                "Date": httputil.format_timestamp(time.time()),
                "X-Request-Id": self._rid,
                "X-Process-Time": f"{elapsed:.6f}",
                "Content-Length": str(len(body)),
                **EVERY_ANSWER,
                "Content-Security-Policy": API_CSP,
            }
        )
        self._conn.write_headers(httputil.ResponseStartLine("HTTP/1.1", 200, "OK"), headers, body)
        self._conn.finish()
        lane = self._lane
        lane.served += 1
        path = self._line.path
        record_request(lane.services, "GET", HANDLER, path.partition("?")[0], 200, elapsed)
        logs.access(200, "GET", path, _remote_ip(self._conn), elapsed)

    def on_connection_close(self) -> None:
        if self._inner is not None:
            self._inner.on_connection_close()


def _remote_ip(conn: Any) -> str | None:
    context = getattr(conn, "context", None)
    return getattr(context, "remote_ip", None)
