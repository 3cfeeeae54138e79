"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json. Every route the app
serves is here and nothing else (a test compares the two); every answer, errors included, is
described, and the tests hold the live server to it (schemathesis)."""

from __future__ import annotations

from typing import Any

from ezchat import __version__
from ezchat.entry.apidocs import (
    paths_admin,
    paths_conversations,
    paths_files,
    paths_people,
    paths_server,
    paths_threads,
    paths_webhooks,
)
from ezchat.entry.apidocs.operations import path_params
from ezchat.entry.apidocs.schemas import components


def document() -> dict[str, Any]:
    all_paths = {
        **paths_people.paths(),
        **paths_conversations.paths(),
        **paths_files.paths(),
        **paths_server.paths(),
        **paths_webhooks.paths(),
        **paths_threads.paths(),
        **paths_admin.paths(),
    }
    for path, item in all_paths.items():
        params = path_params(path)
        if params:
            item["parameters"] = params
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EZChat API",
            "version": __version__,
            "description": "REST API of EZChat. Real-time events, sends and sync travel over "
            "the WebSocket /ws, described by /api/asyncapi.json.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": all_paths,
        "components": {
            "schemas": components(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "serverKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A server key (python -m ezchat keys create NAME), on "
                    "/api/server only",
                },
            },
            "headers": {
                "X-Process-Time": {
                    "description": "Seconds the server spent on the request",
                    "schema": {"type": "string"},
                }
            },
        },
    }
