"""Request logging without credentials: a token given in the query string (``/ws?token=``, the
only way a browser's WebSocket can carry one) never reaches a log line."""

from __future__ import annotations

import logging
import re
from typing import Any

from tornado.web import RequestHandler

access_log = logging.getLogger("tornado.access")
app_log = logging.getLogger("tornado.application")

_SECRET_PARAMS = re.compile(r"([?&](?:token|ticket|access_token|password)=)[^&#]*", re.IGNORECASE)


def redact(uri: str) -> str:
    """``uri`` with the values of credential parameters replaced."""
    return _SECRET_PARAMS.sub(r"\1[redacted]", uri)


def summary(handler: RequestHandler) -> str:
    request = handler.request
    return f"{request.method} {redact(request.uri or '')} ({request.remote_ip})"


def log_request(handler: RequestHandler) -> None:
    """The application's access log line (Tornado's, with the URI redacted)."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if access_log.isEnabledFor(level):  # the redaction costs a regex: only for lines written
        access_log.log(
            level, "%d %s %.2fms", status, summary(handler), 1000.0 * handler.request.request_time()
        )


class RedactedLogging:
    """For handlers: Tornado's own log lines of a request (uncaught errors) use the redacted
    summary, not the raw URI."""

    def _request_summary(self) -> str:
        return summary(self)  # type: ignore[arg-type]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        app_log.error("uncaught exception in %s", summary(self), exc_info=(typ, value, tb))  # type: ignore[arg-type]
