"""Request logging without credentials: a token given in the query string (``/ws?token=``, the
only way a browser's WebSocket can carry one) never reaches a log line."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from tornado.web import RequestHandler

access_log = logging.getLogger("tornado.access")
app_log = logging.getLogger("tornado.application")

# Query parameters whose values never reach a log line: credentials, what people search for,
# and push endpoints (capability URLs: whoever has one can push to that browser).
_SECRET_PARAMS = frozenset({"token", "ticket", "access_token", "password", "q", "endpoint"})


# The id of the request being handled (each request runs in a task of its own, so in a context
# of its own): on every log line written while handling it.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Made ids: this process's random prefix and a count. Unique across processes and restarts as
# uuid4s would be, at a fraction of their cost on every request.
_ID_PREFIX = secrets.token_hex(8)
_ids = itertools.count(1)


def good_request_id(given: str) -> bool:
    """Whether a client's X-Request-Id is one to keep (and to write in logs)."""
    return _GOOD_ID.fullmatch(given) is not None


def new_request_id() -> str:
    return f"{_ID_PREFIX}-{next(_ids):x}"


def assign_request_id(handler: RequestHandler) -> str:
    """The client's X-Request-Id when it is a sane one, else a new one; set for the log lines
    of this request and returned in the answer."""
    given = handler.request.headers.get("X-Request-Id")
    rid = given if given and good_request_id(given) else new_request_id()
    request_id.set(rid)
    handler.set_header("X-Request-Id", rid)
    # Kept across clear(), on the request: a WebSocket handler lives as long as its
    # connection, and one more attribute of its own would cost each one 1.3 KB.
    handler.request.ezchat_request_id = rid  # type: ignore[attr-defined]
    return rid


def keep_request_id(handler: RequestHandler) -> None:
    """An error answer starts from cleared headers: put the request id back."""
    rid = getattr(handler.request, "ezchat_request_id", None)
    if rid:
        handler.set_header("X-Request-Id", rid)


class RequestContext(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def rfc3339(seconds: float) -> str:
    """``2026-12-07T01:08:13.943Z``: UTC, milliseconds, as the API writes times."""
    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def configure(*, level: str, fmt: str) -> None:
    """The process's logging: text lines, or one JSON object per line (python-json-logger)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestContext())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        class Rfc3339(JsonFormatter):
            def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
                return rfc3339(record.created)

        handler.setFormatter(
            Rfc3339(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def redact(uri: str) -> str:
    """``uri`` with the values of credential, search and endpoint parameters replaced. Names
    are compared as the server reads them, percent-decoded: ``%74oken`` is ``token``."""
    path, sep, query = uri.partition("?")
    if not sep:
        return uri
    query, hash_sign, fragment = query.partition("#")
    pieces = []
    for piece in query.split("&"):
        name, eq, _ = piece.partition("=")
        if eq and unquote_plus(name).strip().lower() in _SECRET_PARAMS:
            piece = f"{name}=[redacted]"
        pieces.append(piece)
    return path + "?" + "&".join(pieces) + hash_sign + fragment


def summary(handler: RequestHandler) -> str:
    request = handler.request
    return f"{request.method} {redact(request.uri or '')} ({request.remote_ip})"


def log_request(handler: RequestHandler) -> None:
    """The application's access log line (Tornado's, with the URI redacted)."""
    request = handler.request
    access(
        handler.get_status(),
        request.method or "",
        request.uri or "",
        request.remote_ip,
        request.request_time(),
    )


def access(status: int, method: str, uri: str, remote_ip: str | None, seconds: float) -> None:
    """One access log line."""
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if access_log.isEnabledFor(level):  # the redaction costs a regex: only for lines written
        duration_ms = round(1000.0 * seconds, 2)
        path = redact(uri)
        access_log.log(
            level,
            "%d %s %s (%s) %.2fms",
            status,
            method,
            path,
            remote_ip,
            duration_ms,
            extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms},
        )


class RedactedLogging:
    """For handlers: Tornado's own log lines of a request (uncaught errors) use the redacted
    summary, not the raw URI."""

    def _request_summary(self) -> str:
        return summary(self)  # type: ignore[arg-type]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        app_log.error("uncaught exception in %s", summary(self), exc_info=(typ, value, tb))  # type: ignore[arg-type]
