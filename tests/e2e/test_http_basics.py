"""Contract conventions over real HTTP: error bodies, auth, limits, headers."""

import asyncio
import logging

import pytest

from tests.e2e.wsclient import Ws

pytestmark = pytest.mark.gen_test


async def test_health_answers_without_auth(api):
    r = await api.call("GET", "/health")
    assert r.status == 200
    assert r.body == {
        "status": "ok",
        "checks": {"storage": "ok", "broker": "disabled", "limits": "local"},
    }


async def test_every_response_carries_x_process_time(api):
    _, token = await api.register()
    for method, path, tok in [
        ("GET", "/health", None),
        ("GET", "/api/users/me", token),
        ("GET", "/api/users/me", None),
        ("GET", "/nowhere", None),
        ("POST", "/api/conversations", token),
    ]:
        r = await api.call(method, path, token=tok, raw=b"{" if method == "POST" else None)
        value = r.headers.get("X-Process-Time")
        assert value is not None and float(value) >= 0, (method, path)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/auth/register", b"{not json"),
        ("/api/auth/register", b"[1, 2]"),
        ("/api/auth/register", b""),
        ("/api/auth/register", b"\xff\xfe"),
        ("/api/auth/register", b'{"username": NaN}'),
        ("/api/auth/register", b"[" * 100000),
    ],
)
async def test_malformed_bodies_are_invalid_requests(api, path, raw):
    r = await api.call("POST", path, raw=raw)
    assert r.status == 400 and r.error == "invalid_request"
    assert r.body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "password1"}, "username"),
        ({"username": "alice"}, "password"),
        ({"username": 5, "password": "password1"}, "username"),
        ({"username": "alice", "password": ["x"]}, "password"),
        ({"username": "alice", "password": "password1", "display_name": 7}, "display_name"),
    ],
)
async def test_missing_fields_and_wrong_types_name_the_field(api, body, field):
    r = await api.call("POST", "/api/auth/register", body)
    assert r.status == 400 and r.error == "invalid_request"
    assert field in r.body["error"]["message"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer forged"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ],
)
async def test_api_routes_need_a_valid_bearer_token(api, headers):
    r = await api.call("GET", "/api/users/me", headers=headers)
    assert r.status == 401 and r.error == "unauthorized"


async def test_unknown_routes_and_methods_answer_in_the_error_format(api):
    _, token = await api.register()
    r = await api.call("GET", "/api/nothing-here", token=token)
    assert r.status == 404 and r.error == "not_found"
    r = await api.call("PUT", "/api/conversations", {}, token=token)
    assert r.status == 405 and r.error == "invalid_request"


async def test_an_oversize_body_is_too_large(api):
    r = await api.call("POST", "/api/auth/login", raw=b'{"username":"' + b"a" * 1_100_000 + b'"}')
    assert r.status == 413 and r.error == "too_large"


async def test_a_chunked_oversize_body_is_too_large(api):
    from tornado.httpclient import HTTPRequest

    async def writes(write):
        for _ in range(20):
            await write(b"x" * 65536)

    def produce(write):
        return asyncio.ensure_future(writes(write))

    resp = await api.http.fetch(
        HTTPRequest(api.base + "/api/auth/login", method="POST", body_producer=produce),
        raise_error=False,
    )
    assert resp.code == 413


async def test_login_failures_are_rate_limited_with_retry_after(api):
    user, _ = await api.register()
    for _ in range(5):
        r = await api.call(
            "POST", "/api/auth/login", {"username": user["username"], "password": "wrong-pass"}
        )
        assert r.status == 401
    r = await api.call(
        "POST", "/api/auth/login", {"username": user["username"], "password": "password-1"}
    )
    assert r.status == 429 and r.error == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1 and r.body["error"]["retry_after"] > 0


async def test_register_then_login_gives_a_working_token(api):
    r = await api.call(
        "POST",
        "/api/auth/register",
        {"username": "Alice", "password": "password-1", "display_name": "Alice A"},
    )
    assert r.status == 201
    user = r.body["user"]
    assert set(user) == {
        "id",
        "username",
        "display_name",
        "avatar_url",
        "status",
        "last_seen",
        "created_at",
        "external_id",
        "bot",
        "role",  # one's own User carries one's server role
    }
    assert user["username"] == "alice" and user["status"] == "offline" and user["role"] == "user"
    assert user["external_id"] is None  # registered themselves, not provisioned by an app
    assert user["created_at"].endswith("Z") and len(user["created_at"]) == 24
    r = await api.call("POST", "/api/auth/login", {"username": "ALICE", "password": "password-1"})
    assert r.status == 200
    me = await api.call("GET", "/api/users/me", token=r.body["token"])
    assert me.body["id"] == user["id"]
    r = await api.call(
        "POST", "/api/auth/register", {"username": "alice", "password": "password-2"}
    )
    assert r.status == 409 and r.error == "conflict"
    r = await api.call("POST", "/api/auth/login", {"username": "alice", "password": "password-2"})
    assert r.status == 401 and r.error == "unauthorized"


@pytest.mark.parametrize("path", ["/ws", "/ws?token=%ff"])
async def test_ws_without_an_upgrade_answers_in_the_error_format(api, path):
    r = await api.call("GET", path)
    assert r.status == 400 and r.error == "invalid_request", r.body
    assert r.headers["Content-Type"].startswith("application/json")
    assert "X-Process-Time" in r.headers


async def test_no_credential_reaches_a_log_line_and_a_404_is_logged_once(server, api, caplog):
    _, token = await api.register()
    caplog.set_level(logging.DEBUG)
    ws = await Ws.connect(server.replace("http", "ws", 1) + "/ws", token)
    await ws.barrier()
    ws.close()
    await api.call("GET", f"/api/users/me?token={token}&x=1")
    await api.call("GET", f"/ws?access_token={token}")
    await api.call("GET", "/nowhere-at-all")
    lines = [r.getMessage() for r in caplog.records]
    assert not [line for line in lines if token in line], lines
    assert any("token=[redacted]" in line for line in lines), lines
    assert len([line for line in lines if "/nowhere-at-all" in line]) == 1, lines


async def test_encoded_parameter_names_search_text_and_endpoints_stay_out_of_logs(
    server, api, caplog
):
    _, token = await api.register()
    caplog.set_level(logging.DEBUG)
    ws = await Ws.connect(server.replace("http", "ws", 1) + "/ws?%74oken=" + token, None)
    await ws.barrier()  # it logged in: the server read the name as "token"
    ws.close()
    await api.call("GET", "/api/search?q=my+secret+plans", token=token)
    await api.call(
        "DELETE", "/api/push/subscriptions?endpoint=https://push.example/cap", token=token
    )
    lines = [r.getMessage() for r in caplog.records]
    for secret in (token, "secret", "push.example"):
        assert not [line for line in lines if secret in line], (secret, lines)
