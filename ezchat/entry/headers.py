"""The headers every answer carries, and the pages' Content-Security-Policy: one place for the
handlers, the static files, the WebSocket handshake and the fast lane."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tornado.web import OutputTransform

# Never sniffed into another type, never framed (clickjacking), no address sent onwards.
# X-Frame-Options is for browsers older than CSP's frame-ancestors.
EVERY_ANSWER: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Every JSON answer of the API (the handlers' defaults, and the fast lane's).
JSON_ANSWER: dict[str, str] = {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Vary": "Origin",
}
# A JSON answer is never a document: nothing in it may load or run, even opened directly.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def _ws_form(origin: str) -> str:
    scheme, _, rest = origin.partition("://")
    return ("wss://" if scheme == "https" else "ws://") + rest


def page_csp(api_origins: Iterable[str] = ()) -> str:
    """The pages' policy (the web client and the API docs): everything from this origin only,
    no inline script, not framed. ``api_origins`` are the other origins the web client may
    call (and open its WebSocket on). Inline styles stay allowed for Swagger UI's markup."""
    api_origins = list(api_origins)
    connect = " ".join(["'self'", *(f"{o} {_ws_form(o)}" for o in api_origins)])
    images = " ".join(["'self'", "data:", "blob:", *api_origins])  # thumbnails from the API
    return (
        "default-src 'self'; script-src 'self'; "
        f"connect-src {connect}; "
        f"img-src {images}; style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "worker-src 'self'; manifest-src 'self'"
    )


class SecurityHeaders(OutputTransform):
    """Adds ``EVERY_ANSWER`` (and the API's policy, unless the handler set a page's) to every
    answer of the Application, errors and the WebSocket handshake included."""

    def __init__(self, request: Any) -> None:
        super().__init__(request)

    def transform_first_chunk(
        self, status_code: int, headers: Any, chunk: bytes, finishing: bool
    ) -> tuple[int, Any, bytes]:
        for name, value in EVERY_ANSWER.items():
            headers[name] = value
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = API_CSP
        return status_code, headers, chunk
