"""The web client: static files inside the package, no build step. The page is served at /,
its modules and stylesheet under /app/."""

from __future__ import annotations

from pathlib import Path

from tornado.web import StaticFileHandler

from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.logs import assign_request_id

WEBCLIENT = Path(__file__).resolve().parent.parent / "webclient"


class WebClientPage(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish((WEBCLIENT / "index.html").read_bytes())


class ServiceWorker(ApiHandler):
    """/sw.js: at the root, so that the worker's scope is the whole client."""

    requires_auth = False

    async def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish((WEBCLIENT / "sw.js").read_bytes())


class WebClientAsset(StaticFileHandler):
    """The client's modules and stylesheet."""

    def prepare(self) -> None:
        assign_request_id(self)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")  # a new version is picked up at once
