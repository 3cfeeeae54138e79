"""Every answer is never sniffed, never framed and sends no referrer: JSON, errors, pages,
static files, the fast lane and a refused WebSocket handshake alike. The bundle's stock Swagger
UI page (which loads petstore.swagger.io) and its other unused files are not served."""

from __future__ import annotations

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest, HTTPResponse

from ezchat.entry.headers import API_CSP, EVERY_ANSWER

pytestmark = pytest.mark.gen_test


async def fetch(
    base: str, method: str, path: str, token: str | None = None, **headers: str
) -> HTTPResponse:
    """The answer as it came, whatever its type."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    http = AsyncHTTPClient(force_instance=True)
    try:
        return await http.fetch(
            HTTPRequest(
                base + path, method=method, headers=headers, allow_nonstandard_methods=True
            ),
            raise_error=False,
        )
    finally:
        http.close()


async def test_every_kind_of_answer_carries_the_headers(api, server):
    _, token = await api.register()
    other, _ = await api.register()
    conv = await api.direct(token, other["id"])
    pages = {"/", "/api/docs", "/sw.js"}
    for method, path, tok, headers in [
        ("GET", "/health", None, {}),
        ("GET", "/api/users/me", token, {}),
        ("GET", "/api/users/me", None, {}),  # 401
        ("GET", "/nowhere", None, {}),  # 404
        ("PATCH", "/api/auth/login", None, {}),  # 405
        ("OPTIONS", "/api/users/me", None, {"Origin": "https://nowhere.example"}),
        ("GET", f"/api/conversations/{conv}/messages", token, {}),  # the fast lane
        ("GET", f"/api/conversations/{conv}/messages?before=5", token, {}),  # the handler
        ("GET", "/ws", None, {}),  # not an upgrade: 400
        ("GET", "/", None, {}),
        ("GET", "/sw.js", None, {}),
        ("GET", "/app/main.js", None, {}),
        ("GET", "/api/docs", None, {}),
        ("GET", "/api/docs/init.js", None, {}),
        ("GET", "/api/docs/assets/swagger-ui.css", None, {}),
        ("GET", "/api/openapi.json", None, {}),
    ]:
        r = await fetch(server, method, path, tok, **headers)
        for name, value in EVERY_ANSWER.items():
            assert r.headers.get(name) == value, (method, path, name)
        csp = r.headers.get("Content-Security-Policy", "")
        if path in pages:
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
            assert "default-src 'self'" in csp, path
        else:
            assert csp == API_CSP, (method, path)


@pytest.mark.parametrize(
    "name",
    ["index.html", "oauth2-redirect.html", "swagger-ui.js.map", "swagger-initializer.js"],
)
async def test_the_bundles_unused_files_are_not_served(server, name):
    r = await fetch(server, "GET", f"/api/docs/assets/{name}")
    assert r.code == 404


async def test_the_page_lists_the_api_origins_it_may_use(start_server):
    running = await start_server(web_api_origins="https://api.example, https://b.example:8443")
    r = await fetch(running.base, "GET", "/")
    csp = r.headers["Content-Security-Policy"]
    assert "connect-src 'self' https://api.example wss://api.example" in csp
    assert "https://b.example:8443 wss://b.example:8443" in csp
    assert (
        b'<meta name="ezchat-api-origins" content="https://api.example https://b.example:8443">'
        in r.body
    )
