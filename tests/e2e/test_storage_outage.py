"""A storage outage is a 503 `unavailable`, never a 500; the server recovers with the store."""

import uuid

import pytest

from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws
from tests.mongo_server import NxServer

pytestmark = pytest.mark.gen_test(timeout=60)


def quick_to_fail(mongo: NxServer, db: str) -> dict[str, object]:
    """Settings for the server on ``mongo`` that find it gone within a second."""
    return {
        "storage": "mongo",
        "mongodb_url": mongo.url,
        "mongodb_db": db,
        "mongodb_server_selection_timeout_ms": 300,
        "mongodb_connect_timeout_ms": 300,
        "db_retry_attempts": 2,
        "db_retry_base_ms": 10,
    }


async def test_requests_get_503_while_mongodb_is_down_and_health_says_so(start_server):
    mongo = NxServer()
    try:
        running = await start_server(**quick_to_fail(mongo, "outage"))
        api = Api(running.base)
        _, token = await api.register("alice")
        conv = await api.call(
            "POST", "/api/conversations", {"type": "group", "name": "g"}, token=token
        )
        assert conv.status == 201
        mongo.stop()

        r = await api.call("GET", "/health")
        assert r.status == 503 and r.body["status"] == "unavailable"
        assert r.body["checks"]["storage"] == "unavailable"
        r = await api.call(
            "POST",
            f"/api/conversations/{conv.body['id']}/messages",
            {"client_id": "x", "text": "anyone?"},
            token=token,
        )
        assert r.status == 503 and r.error == "unavailable"
        r = await api.call("GET", "/api/users?q=ali", token=token)  # never cached
        assert r.status == 503 and r.error == "unavailable"
        r = await api.call("GET", "/api/users/me", token=token)  # the user cache still answers
        assert r.status == 200
        api.http.close()
    finally:
        mongo.stop()


def test_a_store_unreachable_at_start_stops_with_a_message(tmp_path):
    from tests.e2e.processes import ServerProcess

    server = ServerProcess(
        tmp_path,
        STORAGE="mongo",
        MONGODB_URL="mongodb://127.0.0.1:9",
        MONGODB_SERVER_SELECTION_TIMEOUT_MS="300",
        DB_RETRY_ATTEMPTS="1",
    )
    try:
        out, _ = server.proc.communicate(timeout=30)
    finally:
        server.stop()
    assert server.proc.returncode != 0
    assert "cannot open the mongo storage" in out and "Traceback" not in out


async def test_a_connection_that_cannot_read_its_conversations_closes_with_1011(
    start_server, redis_url
):
    """With routing, a process reads a user's conversations when its first connection opens;
    a store that is down then gets an error frame and 1011, and the server lives on."""
    mongo = NxServer()
    try:
        running = await start_server(
            **quick_to_fail(mongo, "outage_ws"),
            redis_url=redis_url,
            redis_prefix=f"t{uuid.uuid4().hex[:10]}",
        )
        api = Api(running.base)
        _, token = await api.register("alice")
        r = await api.call("GET", "/api/users/me", token=token)  # the user is cached
        assert r.status == 200
        mongo.stop()
        ws_base = running.base.replace("http", "ws") + "/ws"
        ws = await Ws.connect(ws_base, token, hello=False)
        error = await ws.expect("error")
        assert error["payload"]["code"] == "unavailable"
        assert await ws.close_code() == 1011
        r = await api.call("GET", "/health")
        assert r.status == 503  # still answering
        api.http.close()
    finally:
        mongo.stop()
