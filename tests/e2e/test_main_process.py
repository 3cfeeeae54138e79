"""The real entry point, as `python main.py` runs it, in a subprocess on a free port."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sqlite3
import threading
import urllib.error
import urllib.request

import pytest
from tornado.websocket import websocket_connect

from ezchat.adapters.sqlite.schema import SCHEMA_VERSION
from tests.e2e.processes import ServerProcess, call, new_group, post, register


def test_main_serves_the_api_and_stops_cleanly_on_sigterm(tmp_path):
    server = ServerProcess(tmp_path, LOG_LEVEL="INFO")
    try:
        assert server.wait_ready()["status"] == "ok"
        reply = call(
            server.base,
            "POST",
            "/api/auth/register",
            {"username": "alice", "password": "password-1"},
        )
        assert reply["user"]["username"] == "alice"
        server.proc.send_signal(signal.SIGTERM)
        out, _ = server.proc.communicate(timeout=10)
        assert server.proc.returncode == 0
        assert "shutting down" in out
    finally:
        server.stop()
    assert (tmp_path / "secret_key").exists()
    assert (tmp_path / "ezchat.db").exists()


def test_data_survives_a_restart(tmp_path):
    first = ServerProcess(tmp_path)
    try:
        first.wait_ready()
        _, token = register(first.base, "alice")
        cid = new_group(first.base, token, name="keep")
        post(first.base, token, cid, "c1", "still here?")
    finally:
        first.stop()
    second = ServerProcess(tmp_path)
    try:
        second.wait_ready()
        # The token outlives the restart: the generated secret was kept in DATA_DIR.
        page = call(second.base, "GET", f"/api/conversations/{cid}/messages", token=token)
        assert [m["text"] for m in page["messages"]] == ["still here?"]
    finally:
        second.stop()


def test_a_bad_setting_stops_the_start_naming_the_variable(tmp_path):
    server = ServerProcess(tmp_path, PORT="0", MESSAGE_BATCH_SIZE="lots")
    try:
        out, _ = server.proc.communicate(timeout=15)
    finally:
        server.stop()
    assert server.proc.returncode == 2
    assert "MESSAGE_BATCH_SIZE" in out and "configuration error" in out


def test_storage_mongo_runs_against_a_wire_protocol_server(tmp_path, nx_server):
    server = ServerProcess(tmp_path, STORAGE="mongo", MONGODB_URL=nx_server.url, MONGODB_DB="run")
    try:
        assert server.wait_ready()["checks"]["storage"] == "ok"
        _, token = register(server.base, "alice")
        cid = new_group(server.base, token, name="m")
        sent = post(server.base, token, cid, "c1", "over mongo")
        assert sent["seq"] == 1
    finally:
        server.stop()


@pytest.mark.parametrize(("asked", "runs"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_the_server_runs_on_uvloop_unless_asked_for_asyncio(tmp_path, asked, runs):
    """The in-process tests run on asyncio (pytest-tornado's loop); the server processes of
    the e2e tests on uvloop, the default. Both loops serve REST and WebSocket here."""
    env = {"EVENT_LOOP": asked} if asked else {}
    server = ServerProcess(tmp_path, LOG_LEVEL="INFO", **env)
    try:
        assert server.wait_ready()["status"] == "ok"
        _, token = register(server.base, "alice")
        report = call(server.base, "GET", "/api/system", token=token)
        assert report["ezchat"]["event_loop"] == runs
        loop = asyncio.new_event_loop()  # not asyncio.run: see tests/unit/test_interest.py
        try:
            hello = loop.run_until_complete(
                _hello(f"ws://127.0.0.1:{server.port}/ws?token={token}")
            )
        finally:
            loop.close()
        assert hello["type"] == "hello"
    finally:
        server.stop()


async def _hello(url: str) -> dict:
    conn = await websocket_connect(url, ping_interval=None)
    try:
        return json.loads(str(await conn.read_message()))
    finally:
        conn.close()


async def _hello_then_close_code(url: str, opened: threading.Event) -> int | None:
    conn = await websocket_connect(url, ping_interval=None)
    try:
        await conn.read_message()  # hello
        opened.set()
        while await conn.read_message() is not None:
            pass
        return conn.close_code
    finally:
        conn.close()


def test_sigterm_closes_websocket_clients_with_1001(tmp_path):
    server = ServerProcess(tmp_path)
    try:
        server.wait_ready()
        _, token = register(server.base, "alice")
        result: dict[str, int | None] = {}
        opened = threading.Event()

        def client() -> None:
            url = f"ws://127.0.0.1:{server.port}/ws?token={token}"
            # Bounded, and a daemon: whatever happens, this thread cannot outlive the test.
            result["code"] = asyncio.run(
                asyncio.wait_for(_hello_then_close_code(url, opened), timeout=30)
            )

        thread = threading.Thread(target=client, daemon=True)
        thread.start()
        assert opened.wait(10), "the client got no hello"
        server.proc.send_signal(signal.SIGTERM)
        thread.join(20)
        out, _ = server.proc.communicate(timeout=15)
        assert result.get("code") == 1001, out
        assert server.proc.returncode == 0, out
    finally:
        server.stop()


def _fails_at_start(server: ServerProcess) -> str:
    try:
        server.proc.wait(30)
        out = server.output()
    finally:
        server.stop()
    assert server.proc.returncode == 2, out
    assert "Traceback" not in out, out
    return out


def test_a_busy_port_stops_the_start_with_one_line_and_exit_2(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = _fails_at_start(ServerProcess(tmp_path, PORT=str(port)))
    assert f"cannot listen on 127.0.0.1:{port} (HOST, PORT)" in out


def test_a_data_directory_that_cannot_be_written_stops_the_start(tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    out = _fails_at_start(
        ServerProcess(tmp_path, SQLITE_PATH=str(blocked / "ezchat.db"), SECRET_KEY="k")
    )
    assert "cannot open the sqlite storage (SQLITE_PATH/DATA_DIR" in out


def test_a_database_newer_than_the_code_stops_the_start_untouched(tmp_path):
    path = tmp_path / "ezchat.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    out = _fails_at_start(ServerProcess(tmp_path))
    assert "newer than this EZChat" in out


def test_json_logs_carry_the_request_fields_and_the_request_id(tmp_path):
    server = ServerProcess(tmp_path, LOG_FORMAT="json", LOG_LEVEL="INFO")
    try:
        server.wait_ready()
        req = urllib.request.Request(
            f"{server.base}/api/users/me", headers={"X-Request-Id": "trace-42.a"}
        )
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError as exc:
            assert exc.code == 401 and exc.headers["X-Request-Id"] == "trace-42.a"
        with urllib.request.urlopen(f"{server.base}/health", timeout=5) as resp:
            generated = resp.headers["X-Request-Id"]
        bad = urllib.request.Request(f"{server.base}/health", headers={"X-Request-Id": "a b"})
        with urllib.request.urlopen(bad, timeout=5) as resp:
            assert resp.headers["X-Request-Id"] not in ("a b", "", None)
    finally:
        server.proc.send_signal(signal.SIGTERM)
        out, _ = server.proc.communicate(timeout=15)
        server.stop()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines), out
    rfc3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
    assert all(rfc3339.fullmatch(x["time"]) for x in lines), [x["time"] for x in lines]
    access = {x["request_id"]: x for x in lines if x["logger"] == "tornado.access"}
    line = access["trace-42.a"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/users/me", 401)
    assert line["duration_ms"] >= 0 and generated in access
