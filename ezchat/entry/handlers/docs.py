"""The API, machine-readable and browsable: the OpenAPI and AsyncAPI documents, and Swagger UI
served from the package's own files (the server may run offline: nothing from a CDN)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from tornado.web import StaticFileHandler

from ezchat.entry import serialize
from ezchat.entry.apidocs import asyncapi, openapi
from ezchat.entry.handlers.base import ApiHandler
from ezchat.entry.headers import page_csp
from ezchat.entry.logs import assign_request_id

STATIC = Path(__file__).resolve().parent.parent / "apidocs" / "static"


@functools.cache
def swagger_ui_dir() -> str:
    from swagger_ui_bundle import swagger_ui_path

    return str(swagger_ui_path)


@functools.cache
def _document(kind: str) -> str:
    doc: dict[str, Any] = openapi.document() if kind == "openapi" else asyncapi.document()
    return serialize.dumps(doc)


class OpenApiHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        self.finish(_document("openapi"))


class AsyncApiHandler(ApiHandler):
    requires_auth = False

    async def get(self) -> None:
        self.finish(_document("asyncapi"))


class DocsPageHandler(ApiHandler):
    requires_auth = False

    async def get(self, name: str = "docs.html") -> None:
        kind = "text/html" if name.endswith(".html") else "text/javascript"
        self.set_header("Content-Type", f"{kind}; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        if name.endswith(".html"):
            self.set_header("Content-Security-Policy", page_csp())
        self.finish((STATIC / name).read_bytes())


# The files of the bundle that the docs page loads, and nothing else: the bundle also holds a
# stock index.html that loads petstore.swagger.io, an OAuth redirect page and source maps.
SWAGGER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")
SWAGGER_ROUTE = r"/api/docs/assets/(" + "|".join(n.replace(".", r"\.") for n in SWAGGER_FILES) + ")"


class SwaggerAssetHandler(StaticFileHandler):
    """Swagger UI's own files, from the swagger-ui-bundle-v2 package (``SWAGGER_FILES``)."""

    def prepare(self) -> None:
        assign_request_id(self)
