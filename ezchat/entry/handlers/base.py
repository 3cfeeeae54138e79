"""The base of every HTTP handler: JSON in and out, the contract's error body, bearer auth,
body limits and ``X-Process-Time``."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable
from datetime import datetime
from http.client import responses
from typing import Any

from tornado.web import HTTPError, RequestHandler, stream_request_body

from ezchat.domain import rules
from ezchat.domain.errors import (
    EzChatError,
    InvalidRequest,
    RateLimited,
    TooLarge,
    Unauthorized,
)
from ezchat.domain.model import User
from ezchat.entry import parse, serialize
from ezchat.entry.context import Services
from ezchat.entry.headers import JSON_ANSWER
from ezchat.entry.logs import RedactedLogging, assign_request_id, keep_request_id
from ezchat.services.auth import Session

log = logging.getLogger("ezchat.http")

STATUS = {
    "invalid_request": 400,
    "unauthorized": 401,
    "rejected": 403,
    "forbidden": 403,  # after rejected: the code of a bare 403
    "not_found": 404,
    "conflict": 409,
    "quota_exceeded": 413,
    "too_large": 413,  # after quota_exceeded: the code of a bare 413
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}
CODE_BY_STATUS = {status: code for code, status in STATUS.items()}
CORS_MAX_AGE_S = 600
# A page's ``limit``: when none is given, and the most it may be.
DEFAULT_LIMIT = 50
MAX_LIMIT = rules.MAX_PAGE


def error_json(code: str, message: str, **extra: Any) -> str:
    """The contract's error body."""
    return serialize.dumps({"error": {"code": code, "message": message, **extra}})


def http_error(exc: BaseException | None, status_code: int, method: str | None) -> tuple[int, str]:
    """The status and error body of whatever ended a request: our errors by their code,
    Tornado's 4xx by status, anything else a 500 that says nothing of its cause."""
    if isinstance(exc, EzChatError):
        return STATUS.get(exc.code, 500), error_json(exc.code, exc.message, **exc.extra())
    if isinstance(exc, HTTPError) and status_code < 500:
        message = exc.log_message % exc.args if exc.log_message else responses.get(status_code, "")
        if status_code == 405:
            message = f"method {method} is not allowed here"
        code = CODE_BY_STATUS.get(status_code, "invalid_request")
        return status_code, error_json(code, message or "bad request")
    if status_code < 500:
        return status_code, error_json(
            CODE_BY_STATUS.get(status_code, "invalid_request"),
            responses.get(status_code, "bad request"),
        )
    return 500, error_json("internal", "internal server error")


def record_request(
    services: Services, method: str, handler: str, path: str, status: int, seconds: float
) -> None:
    """A finished request in the latency histogram, and in the log when it was slow."""
    services.metrics.request_observer(method, handler, status).observe(seconds)
    if seconds * 1000 > services.config.slow_request_ms:
        log.warning("slow request: %s %s -> %d in %.1f ms", method, path, status, seconds * 1000)


@stream_request_body
class ApiHandler(RedactedLogging, RequestHandler):
    """Bodies are streamed so that an oversize one is refused with 413 as soon as its
    Content-Length (or its running size) passes the limit, never buffered whole."""

    requires_auth = True

    def initialize(self, services: Services) -> None:
        self.services = services
        self._chunks: list[bytes] = []
        self._size = 0
        self._user: User | None = None
        self.session: Session | None = None
        self._cors_headers()  # default headers are set before initialize; again with config

    @property
    def user(self) -> User:
        assert self._user is not None, "handler requires auth"
        return self._user

    def set_default_headers(self) -> None:
        for name, value in JSON_ANSWER.items():
            self.set_header(name, value)
        if hasattr(self, "services"):  # error answers start from here again: keep CORS
            self._cors_headers()
        keep_request_id(self)

    def _allowed_origin(self) -> str | None:
        origin = self.request.headers.get("Origin")
        if origin and self.services.config.origin_allowed(origin):
            return origin
        return None

    def _cors_headers(self) -> None:
        """For a page on an allowed origin, every answer (errors too) may be read by it."""
        self.set_header("Vary", "Origin")
        origin = self._allowed_origin()
        if origin is not None:
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header(
                "Access-Control-Expose-Headers", "X-Process-Time, Retry-After, X-Request-Id"
            )

    def allowed_methods(self) -> list[str]:
        """The methods this route answers (what a 405's Allow and a preflight list)."""
        own = [
            m.upper()
            for m in ("get", "post", "put", "patch", "delete")
            if getattr(type(self), m) is not getattr(RequestHandler, m)
        ]
        return [*own, "OPTIONS"]

    async def options(self, *args: str) -> None:
        """A CORS preflight: no authentication; the route's methods for an allowed origin,
        nothing for another (the browser then refuses the request)."""
        if self._allowed_origin() is not None:
            self.set_header("Access-Control-Allow-Methods", ", ".join(self.allowed_methods()))
            self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
            self.set_header("Access-Control-Max-Age", str(CORS_MAX_AGE_S))
        self.no_content()

    def compute_etag(self) -> None:
        return None  # answers depend on the caller and change often; never 304

    async def prepare(self) -> None:
        assign_request_id(self)
        if self.request.method == "OPTIONS":
            return  # a preflight carries no credentials and no body
        limit = self.services.config.max_body_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise TooLarge(f"request body must be at most {limit} bytes")
        if self.requires_auth:
            self.session = await self.services.auth.session(self._bearer())
            self._user = self.session.user

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        # A chunked body with no Content-Length: keep counting, stop keeping.
        self._size += len(chunk)
        if self._size <= self.services.config.max_body_bytes:
            self._chunks.append(chunk)
        return None

    def body(self) -> parse.Fields:
        limit = self.services.config.max_body_bytes
        if self._size > limit:
            raise TooLarge(f"request body must be at most {limit} bytes")
        # Only JSON: a cross-origin "simple" request (a form's text/plain POST, sent without a
        # preflight) can then change nothing.
        media = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise InvalidRequest("Content-Type must be application/json", field="Content-Type")
        return parse.json_object(b"".join(self._chunks))

    def _bearer(self) -> str | None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def query_int(
        self, name: str, *, default: int | None, low: int = 0, high: int = parse.MAX_INT
    ) -> int | None:
        return parse.query_int(
            self.get_query_argument(name, None), name, default=default, low=low, high=high
        )

    def query_time(self, name: str) -> datetime | None:
        return parse.query_time(self.get_query_argument(name, None), name)

    def limit(self) -> int:
        value = self.query_int("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
        assert value is not None
        return value

    def reply(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(serialize.dumps(obj))

    def no_content(self) -> None:
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()

    def finish(self, chunk: Any = None) -> Any:
        if isinstance(chunk, str) and self._user is not None:
            chunk = self.services.signer.text(chunk, self._user.id)  # files' links, signed
        if not self._headers_written:
            self.set_header("X-Process-Time", f"{self.request.request_time():.6f}")
        return super().finish(chunk)

    def on_finish(self) -> None:
        request = self.request
        record_request(
            self.services,
            request.method or "",
            type(self).__name__,
            request.path,
            self.get_status(),
            request.request_time(),
        )

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, EzChatError):
            return  # an answer, not a fault
        if isinstance(value, HTTPError) and value.status_code < 500:
            return  # the access log has its line; once is enough
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RateLimited):
            self.set_header("Retry-After", str(max(1, math.ceil(exc.retry_after))))
        if isinstance(exc, Unauthorized):
            self.set_header("WWW-Authenticate", 'Bearer realm="ezchat"')
        status_code, body = http_error(exc, status_code, self.request.method)
        if status_code == 405:
            self.set_header("Allow", ", ".join(self.allowed_methods()))
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(body)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, EzChatError):
            status_code = STATUS.get(exc.code, 500)
        super().send_error(status_code, **kwargs)


class NotFoundHandler(ApiHandler):
    requires_auth = False

    async def prepare(self) -> None:
        await super().prepare()
        raise HTTPError(404, "no route for %s", self.request.path)
