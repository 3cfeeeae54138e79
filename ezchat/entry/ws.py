"""The ``/ws`` endpoint: authenticates, admits, then turns client frames into service calls.

Every frame a client sends gets exactly one reply carrying its ``id``: an ``ack`` (``pong`` for
``ping``) or an ``error``. Bad frames never close the connection; only the contract's close
codes do (1009 oversize, 4401 auth, 4408 slow or silent, 4429 flooding, 4503 limits).
"""

from __future__ import annotations

import logging
import uuid
from asyncio import Future
from collections.abc import Awaitable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from tornado.httputil import HTTPHeaders
from tornado.web import HTTPError
from tornado.websocket import WebSocketHandler

from ezchat.domain.errors import EzChatError, InvalidRequest, RateLimited, Unauthorized
from ezchat.domain.model import User
from ezchat.domain.ratelimit import FloodGuard
from ezchat.entry import parse, serialize
from ezchat.entry.context import Services
from ezchat.entry.handlers.base import error_json, http_error
from ezchat.entry.logs import RedactedLogging, assign_request_id, keep_request_id
from ezchat.entry.parse import Fields
from ezchat.entry.realtime import frames
from ezchat.entry.realtime.actions import ACTIONS, Placed
from ezchat.entry.realtime.connection import (
    CLOSE_FLOODING,
    CLOSE_LIMIT,
    CLOSE_SERVER_ERROR,
    CLOSE_UNAUTHORIZED,
    Connection,
    wire,
)
from ezchat.entry.realtime.hub import Hub
from ezchat.entry.realtime.pipeline import FramePipeline
from ezchat.entry.realtime.writes import Flushed, write_now
from ezchat.services.auth import Session

log = logging.getLogger(__name__)

# What an open connection's request keeps instead of its own (nothing writes to them).
NO_HEADERS = HTTPHeaders()
NO_ARGUMENTS: dict[str, list[bytes]] = {}

# Refusals by the rate limit in this window past which a client counts as flooding.
FLOOD_WINDOW_S = 10.0


class ChatSocket(RedactedLogging, WebSocketHandler):
    # Defaults on the class, set on the instance only when they change: thousands of idle
    # connections each hold a handler, whose attribute dict grows with every one set.
    session: Session | None = None
    conn: Connection | None = None
    _auth_error = "missing token"
    _flood: FloodGuard | None = None
    _frames: FramePipeline | None = None

    services: Services
    hub: Hub

    @classmethod
    def bound(cls, services: Services, hub: Hub) -> type[ChatSocket]:
        """The handler class of one app: its services and hub are class attributes, not set on
        each of thousands of handlers (past 30 attributes a handler's dict stops sharing its
        keys and takes 1.3 KB more)."""
        return type(cls.__name__, (cls,), {"services": services, "hub": hub})

    def get(self, *args: Any, **kwargs: Any) -> Awaitable[None] | None:  # type: ignore[override]
        """Tornado answers a request that is not a WebSocket upgrade with a plain-text 400:
        answer it in the contract's error format instead. Tornado's own ``get`` runs as long
        as the connection: it is returned, not awaited here, so that no frame of this one
        stays with every connection."""
        headers = self.request.headers
        connection = {p.strip().lower() for p in headers.get("Connection", "").split(",")}
        if headers.get("Upgrade", "").lower() != "websocket" or "upgrade" not in connection:
            self.set_status(400)
            self._json_headers()
            self.finish(
                error_json(
                    "invalid_request",
                    "/ws takes a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade)",
                )
            )
            return None
        origin = headers.get("Origin")
        if origin and not self._origin_accepted(origin):
            self.set_status(403)
            self._json_headers()
            self.finish(error_json("forbidden", "pages on this origin may not connect"))
            return None
        return super().get(*args, **kwargs)

    def _origin_accepted(self, origin: str) -> bool:
        """A browser page may connect from this server's own origin or an allowed one."""
        host = urlsplit(origin).netloc.lower()
        same = host == (self.request.headers.get("Host") or "").lower()
        return same or self.services.config.origin_allowed(origin)

    def _json_headers(self) -> None:
        keep_request_id(self)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("X-Process-Time", f"{self.request.request_time():.6f}")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status_code, body = http_error(exc, status_code, self.request.method)
        if status_code == 405:
            self.set_header("Allow", "GET")
        self.set_status(status_code)
        self._json_headers()
        self.finish(body)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, HTTPError) and value.status_code < 500:
            return  # the access log has its line
        super().log_exception(typ, value, tb)

    def check_origin(self, origin: str) -> bool:
        return True  # decided in get(), answered in the contract's error format

    async def prepare(self) -> None:
        assign_request_id(self)
        ticket = self.get_query_argument("ticket", None)
        if ticket:
            try:
                self.session = await self.services.auth.redeem_ticket(ticket)
            except Unauthorized as exc:
                self._auth_error = exc.message
            return
        token = self.get_query_argument("token", None)
        if not token:
            scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
        try:
            self.session = await self.services.auth.session(token)
        except Unauthorized as exc:
            self._auth_error = exc.message

    @property
    def user(self) -> User | None:
        return self.session.user if self.session else None

    async def open(self, *args: str, **kwargs: str) -> None:
        # Small frames, often two in a row (an event, then an ack): without this, Nagle's
        # algorithm holds the second until the peer's delayed ACK, about 40 ms later.
        self.set_nodelay(True)
        session = self.session
        if session is None:
            self._refuse(CLOSE_UNAUTHORIZED, "unauthorized", self._auth_error)
            return
        refusal = self.hub.admit(session.user.id)
        if refusal is not None:
            self._refuse(CLOSE_LIMIT, "unavailable", refusal)
            return
        config = self.services.config
        self.conn = Connection(
            self,
            user_id=session.user.id,
            session_id=uuid.uuid4().hex,
            max_frames=config.outbox_max_frames,
            max_bytes=config.outbox_max_bytes,
            on_overflow=self.hub.drop_slow,
            greeting=True,  # hello goes first; events from now on queue behind it
            token_id=session.token_id,
            issued_at=session.issued_at,
            # The connection lives no longer than its token (the hub's heartbeat sees to it).
            expires_at=session.expires_at,
            flusher=self.hub.flusher,
        )
        try:
            refusal = await self.hub.add(self.conn)
            user = await self.services.users.get(session.user.id)
        except EzChatError as exc:  # the store away (reading the user's conversations, say)
            self._refuse(CLOSE_SERVER_ERROR, exc.code, exc.message)
            return
        if refusal is not None:  # the limit holds across processes: counted after the fact
            self._refuse(CLOSE_LIMIT, "unavailable", refusal)
            return
        now = self.services.clock.now()
        hello = {
            "user": serialize.me(user),
            "session_id": self.conn.session_id,
            "heartbeat_interval": config.heartbeat_interval,
            "server_time": serialize.iso(now),
        }
        self.conn.greet(wire(frames.frame("hello", hello)))
        # The query (a token, perhaps) and the headers (the Authorization one, perhaps) are
        # not needed past the upgrade: not kept in memory for the life of the connection (nor
        # 1.5 KB of them in each of thousands of idle ones).
        request = self.request
        request.uri, request.query = request.path, ""
        request.arguments, request.query_arguments = NO_ARGUMENTS, NO_ARGUMENTS
        request.headers = NO_HEADERS
        # The answer's headers (the 101 and the security headers) went out with the upgrade;
        # only the handler's own empty set is kept (RequestHandler.clear() does the same).
        self._headers = HTTPHeaders()

    def _heard(self) -> None:
        if self.conn is not None:
            self.conn.heard_at = self.services.clock.monotonic()

    def on_pong(self, data: bytes) -> None:
        self._heard()

    def on_ping(self, data: bytes) -> None:
        self._heard()

    def write_frame(self, data: bytes) -> Flushed | None:
        """Write complete wire frames straight to the socket (``writes.write_now``): the frame
        was built once for all recipients, so Tornado's per-message framing (and the task it
        starts) is skipped. No compression is negotiated, so the frames need no
        per-connection work."""
        protocol = self.ws_connection
        stream = getattr(protocol, "stream", None)
        if protocol is None or stream is None or protocol.is_closing():
            return None
        return write_now(stream, data)

    def _refuse(self, close_code: int, code: str, message: str) -> None:
        self.write_message(frames.error(code, message))
        self.close(close_code, message[:120])

    def on_close(self) -> None:
        """Forget the connection, and let go of what refers back to this handler, so that all
        of it is freed now, by reference counting, not by a later cycle collection."""
        if self.conn is not None:
            self.hub.remove(self.conn)
            self.conn = None
        self._frames = None

    def on_message(self, message: str | bytes) -> Future[None] | None:
        """Checks the frame, then hands it to the connection's ``FramePipeline``: frames are
        handled concurrently up to ``MAX_FRAMES_IN_FLIGHT``, in order where order matters."""
        conn = self.conn
        if conn is None or conn.closed:
            return None
        conn.heard_at = self.services.clock.monotonic()
        frame_id: Any = None
        try:
            if isinstance(message, bytes):
                raise InvalidRequest("frames must be JSON text, not binary")
            fields = parse.json_object(message, what="frame", text_only=False)
            frame_id = fields.data.get("id")
            if frame_id is not None and (
                isinstance(frame_id, bool)
                or not isinstance(frame_id, str | int)
                or (isinstance(frame_id, str) and parse.has_lone_surrogate(frame_id))
                or (isinstance(frame_id, int) and not -parse.MAX_INT <= frame_id <= parse.MAX_INT)
            ):
                frame_id = None
                raise InvalidRequest(
                    f"id must be a string or a whole number within ±{parse.MAX_INT}", field="id"
                )
            # The id is known (the error can carry it) before the rest is checked.
            parse.reject_lone_surrogates(fields.data, message)
            kind = fields.text("type")
            if kind not in ACTIONS:
                raise InvalidRequest(f"unknown frame type {kind[:64]!r}", field="type")
            payload = fields.object("payload", required=False) or parse.Fields({}, "payload.")
        except EzChatError as exc:
            conn.send(wire(frames.error(exc.code, exc.message, frame_id, **exc.extra())))
            return None
        return self._pipeline(conn).start(kind, frame_id, payload)

    def _flood_guard(self) -> FloodGuard:
        if self._flood is None:
            limit = 2 * self.services.config.message_burst
            self._flood = FloodGuard(limit=limit, window_s=FLOOD_WINDOW_S)
        return self._flood

    def _pipeline(self, conn: Connection) -> FramePipeline:
        if self._frames is None:  # made on the first frame: idle connections never hold one
            limit = self.services.config.max_frames_in_flight
            self._frames = FramePipeline(partial(self._handle, conn), limit)
        return self._frames

    async def _handle(
        self, conn: Connection, kind: str, frame_id: Any, payload: Fields, placed: Placed
    ) -> None:
        """One frame: its action, then its one reply."""
        try:
            assert self.user is not None
            result = await ACTIONS[kind](self.services, self.user.id, payload, placed)
            if kind == "ping":
                conn.send(wire(frames.frame("pong", result, frame_id)))
            else:
                ack = frames.frame("ack", result if result is not None else {}, frame_id)
                conn.send(wire(self.services.signer.frame(ack, conn.user_id)))
        except EzChatError as exc:
            conn.send(wire(frames.error(exc.code, exc.message, frame_id, **exc.extra())))
            if isinstance(exc, RateLimited) and self._flood_guard().refused(
                now=self.services.clock.monotonic()
            ):
                log.warning("closing %s of user %s: flooding", conn.session_id, conn.user_id)
                conn.close(CLOSE_FLOODING, "flooding past the rate limit")
        except Exception:
            log.exception("frame from user %s failed", conn.user_id)
            conn.send(wire(frames.error("internal", "internal server error", frame_id)))
