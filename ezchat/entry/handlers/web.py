"""The web client: static files inside the package, no build step. The page is served at /,
its modules and stylesheet under /app/."""

from __future__ import annotations

import html
from pathlib import Path

from tornado.web import StaticFileHandler

from ezchat.entry.context import Services
from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.headers import page_csp
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
        origins = self.services.config.web_api_origin_list
        self.set_header("Content-Type", self._type)
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Security-Policy", page_csp(origins))
        body = (WEBCLIENT / self._name).read_bytes()
        if self._name == "index.html":
            # The API origins the page may use besides its own (``?api=``); the policy above
            # refuses every other one in any case.
            listed = html.escape(" ".join(origins), quote=True).encode()
            body = body.replace(
                b'<meta name="ezchat-api-origins" content="">',
                b'<meta name="ezchat-api-origins" content="' + listed + b'">',
            )
        self.finish(body)


PAGE = {"name": "index.html", "content_type": "text/html; charset=utf-8"}
SERVICE_WORKER = {"name": "sw.js", "content_type": "text/javascript; charset=utf-8"}


class WebClientAsset(StaticFileHandler):
    """The client's modules and stylesheet."""

    def prepare(self) -> None:
        assign_request_id(self)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-cache")  # a new version is picked up at once
