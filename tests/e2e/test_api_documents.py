"""The published API documents: the OpenAPI document validates and names exactly the routes
the app serves; the AsyncAPI document describes every frame type; Swagger UI is served from
the package."""

import re

import pytest
from openapi_spec_validator import validate

from ezchat.entry.apidocs import asyncapi
from ezchat.entry.realtime.actions import ACTIONS
from ezchat.entry.routes import routes

pytestmark = pytest.mark.gen_test


def openapi_path(pattern: str) -> str:
    """A route's regex as the OpenAPI template it stands for."""
    names = iter(["conversation_id", "message_id", "emoji"])
    path = pattern.replace("\\.", ".")
    if path.startswith("/api/contacts/") or path.startswith("/api/users/"):
        names = iter(["user_id"])
    if path.startswith("/api/users/me/exports/"):
        names = iter(["export_id"])
    if "/members/" in path:
        names = iter(["conversation_id", "user_id"])
    if path.startswith("/api/files/"):
        names = iter(["file_id"])
    if path.startswith("/api/server/users/"):
        names = iter(["external_id"])
    if path.startswith("/api/server/webhooks/"):
        names = iter(["webhook_id"])
    if "/incoming-webhooks" in path:
        names = iter(["conversation_id", "hook_id"])
    if path.startswith("/api/admin/users/"):
        names = iter(["user_id"])
    if path.startswith("/api/admin/invites/"):
        names = iter(["invite_id"])
    if path.startswith("/api/admin/reports/"):
        names = iter(["report_id"])
    if path.startswith("/api/scheduled/"):
        names = iter(["scheduled_id"])
    if path.startswith("/hooks/"):
        names = iter(["token"])
    return re.sub(r"\(\[\^/\]\+\)", lambda _: "{" + next(names) + "}", path)


async def test_the_openapi_document_validates_and_names_every_route_and_method(api, running):
    r = await api.call("GET", "/api/openapi.json")
    assert r.status == 200
    doc = r.body
    validate(doc)
    served = {}
    for pattern, handler, *_ in routes(running.app.services, running.app.hub):
        if pattern.startswith(("/api/docs", "/app/")) or pattern in ("/ws", "/", "/sw.js"):
            continue
        methods = {
            m
            for m in ("get", "post", "put", "patch", "delete")
            if getattr(handler, m, None) is not None
            and getattr(handler, m) is not getattr(handler.__mro__[-2], m, None)
        }
        served[openapi_path(pattern)] = methods
    documented = {
        path: {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for path, item in doc["paths"].items()
    }
    assert documented == served


async def test_the_asyncapi_document_has_every_frame_type(api):
    r = await api.call("GET", "/api/asyncapi.json")
    assert r.status == 200 and r.body["asyncapi"].startswith("3.")
    messages = r.body["components"]["messages"]
    assert set(ACTIONS) <= set(messages)
    sent = {m["payload"]["properties"]["type"]["const"] for m in messages.values()}
    for kind in [
        "hello",
        "ack",
        "pong",
        "error",
        "message.new",
        "message.updated",
        "typing",
        "receipt",
        "presence",
        "conversation.created",
        "conversation.updated",
        "conversation.deleted",
        "member.added",
        "member.removed",
    ]:
        assert kind in sent, kind
    assert asyncapi.server_frame_schema()["oneOf"]


async def test_swagger_ui_is_served_from_the_package(api):
    page = await api.http.fetch(api.base + "/api/docs")
    assert b"swagger-ui-bundle.js" in page.body
    for asset in (
        "/api/docs/assets/swagger-ui-bundle.js",
        "/api/docs/init.js",
        "/api/docs/assets/swagger-ui.css",
    ):
        r = await api.http.fetch(api.base + asset)
        assert r.code == 200 and len(r.body) > 100, asset


def test_a_frame_that_breaks_its_schema_is_caught():
    from tests.e2e.wsclient import check_frame

    check_frame({"type": "pong", "id": 1, "payload": {"server_time": "2026-11-27T12:00:00.000Z"}})
    for bad in (
        {"type": "message.new", "payload": {}},
        {"type": "pong", "payload": {"server_time": 3}},
        {"type": "no.such.event", "payload": {}},
        {"type": "error", "payload": {"code": "made_up", "message": "x"}},
    ):
        with pytest.raises(AssertionError):
            check_frame(bad)
