"""Browsers on other origins: CORS on every /api route for allowed origins only, JSON-only
bodies, Allow on 405, and the same origin list for the WebSocket."""

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from tests.e2e.conftest import Api

pytestmark = pytest.mark.gen_test

GOOD, BAD = "http://app.example:3000", "http://evil.example"


@pytest.fixture
def cors(start_server, io_loop):
    running = io_loop.run_sync(lambda: start_server(allowed_origins=f"{GOOD}, https://b.example"))
    api = Api(running.base)
    yield running, api
    api.http.close()


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/auth/register", "POST, OPTIONS"),
        ("/api/users/me", "GET, PATCH, DELETE, OPTIONS"),
        ("/api/conversations/x/messages/y", "PATCH, DELETE, OPTIONS"),
        ("/api/conversations/x/messages/y/reactions/z", "PUT, DELETE, OPTIONS"),
    ],
)
async def test_a_preflight_from_an_allowed_origin_lists_the_routes_methods(cors, path, methods):
    _, api = cors
    r = await api.call(
        "OPTIONS",
        path,
        headers={
            "Origin": GOOD,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert r.status == 204, r.body
    h = r.headers
    assert h["Access-Control-Allow-Origin"] == GOOD
    assert h["Access-Control-Allow-Methods"] == methods
    assert {"authorization", "content-type"} <= {
        x.strip().lower() for x in h["Access-Control-Allow-Headers"].split(",")
    }
    assert int(h["Access-Control-Max-Age"]) > 0


async def test_a_disallowed_origin_gets_no_cors_headers(cors):
    _, api = cors
    r = await api.call("OPTIONS", "/api/users/me", headers={"Origin": BAD})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = await api.call("GET", "/api/users/me", headers={"Origin": BAD})
    assert r.status == 401 and "Access-Control-Allow-Origin" not in r.headers


async def test_answers_and_errors_carry_cors_headers_for_an_allowed_origin(cors):
    _, api = cors
    _, token = await api.register("alice")
    for method, path, tok in [
        ("GET", "/api/users/me", token),
        ("GET", "/api/users/me", None),  # 401
        ("GET", "/api/nowhere", token),  # 404
        ("PUT", "/api/users/me", token),  # 405
    ]:
        r = await api.call(method, path, token=tok, headers={"Origin": GOOD})
        assert r.headers["Access-Control-Allow-Origin"] == GOOD, (method, path, r.status)
        assert "X-Process-Time" in r.headers["Access-Control-Expose-Headers"]
        assert "Retry-After" in r.headers["Access-Control-Expose-Headers"]


async def test_a_405_says_which_methods_the_route_has(cors):
    _, api = cors
    _, token = await api.register("alice")
    r = await api.call("PUT", "/api/users/me", token=token)
    assert r.status == 405 and r.headers["Allow"] == "GET, PATCH, DELETE, OPTIONS"


async def test_a_body_that_is_not_json_is_refused(cors):
    _, api = cors
    r = await api.call(
        "POST",
        "/api/auth/register",
        raw=b'{"username": "eve", "password": "password-1"}',
        headers={"Content-Type": "text/plain", "Origin": GOOD},
    )
    assert (r.status, r.error) == (400, "invalid_request")
    assert r.body["error"]["field"] == "Content-Type"
    r = await api.call(
        "POST",
        "/api/auth/register",
        raw=b'{"username": "eve", "password": "password-1"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status == 201


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(GOOD, True), (BAD, False), (None, True), ("same", True)],
)
async def test_the_websocket_takes_the_same_origins(cors, origin, accepted):
    from tornado.httpclient import HTTPRequest

    running, api = cors
    _, token = await api.register("alice")
    headers = {}
    if origin == "same":
        headers["Origin"] = running.base
    elif origin:
        headers["Origin"] = origin
    request = HTTPRequest(f"{running.ws_base}?token={token}", headers=headers)
    if accepted:
        conn = await websocket_connect(request)
        assert '"hello"' in str(await conn.read_message())
        conn.close()
    else:
        with pytest.raises(HTTPClientError) as err:
            await websocket_connect(request)
        assert err.value.code == 403
