"""The web client: static files inside the package, no build step. The page is served at /,
its modules and stylesheet under /app/."""

from __future__ import annotations

from pathlib import Path

from tornado.web import StaticFileHandler

from ezchat.entry.context import Services
from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.logs import assign_request_id

WEBCLIENT = Path(__file__).resolve().parent.parent / "webclient"


class WebClientFile(ApiHandler):
    """A file served at a fixed path: the page at /, the service worker at /sw.js (at the root,
    so that its scope is the whole client). Never cached stale: a new version is taken at once."""

    requires_auth = False

    def initialize(self, services: Services, name: str = "", content_type: str = "") -> None:
        super().initialize(services)
        self._name, self._type = name, content_type

    async def get(self) -> None:
        self.set_header("Content-Type", self._type)
        self.set_header("Cache-Control", "no-cache")
        self.finish((WEBCLIENT / self._name).read_bytes())


PAGE = {"name": "index.html", "content_type": "text/html; charset=utf-8"}
SERVICE_WORKER = {"name": "sw.js", "content_type": "text/javascript; charset=utf-8"}


class WebClientAsset(StaticFileHandler):
    """The client's modules and stylesheet."""

    def prepare(self) -> None:
        assign_request_id(self)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")  # a new version is picked up at once
