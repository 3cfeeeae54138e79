"""The OpenAPI paths of uploaded files: the upload (the route whose body is the file itself)
and the downloads, by token or by signed link."""

from __future__ import annotations

from typing import Any

from ezchat.entry.apidocs.operations import op
from ezchat.entry.apidocs.schemas import ref

BYTES = {"type": "string", "format": "binary"}
NAME = {"type": "string", "minLength": 1, "maxLength": 1000}


def _download(summary: str) -> dict[str, Any]:
    out = op(summary, 200, errors=(404, 416))
    answers = out["responses"]
    answers["200"]["content"] = {"*/*": {"schema": BYTES}}
    answers["206"] = {
        "description": "The range asked for (Range: bytes=...)",
        "content": {"*/*": {"schema": BYTES}},
    }
    answers["304"] = {"description": "Not modified (If-None-Match named its ETag)"}
    out["parameters"] = [
        {"name": "exp", "in": "query", "required": False, "schema": {"type": "string"}},
        {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    # A signed link opens the file without a token.
    out["security"] = [{"bearer": []}, {}]
    return out


def paths() -> dict[str, dict[str, Any]]:
    upload = op("Upload a file (the body is its bytes)", 201, ref("File"), errors=(413, 429))
    upload["parameters"] = [{"name": "name", "in": "query", "required": True, "schema": NAME}]
    upload["requestBody"] = {
        "required": True,
        "content": {"application/octet-stream": {"schema": BYTES}, "*/*": {"schema": BYTES}},
    }
    return {
        "/api/files": {"post": upload},
        "/api/files/{file_id}": {
            "get": _download("The file's bytes"),
            "head": _download("The file's headers"),
        },
        "/api/files/{file_id}/thumbnail": {
            "get": _download("An image's thumbnail, at most 320 px on its long side"),
            "head": _download("The thumbnail's headers"),
        },
    }
