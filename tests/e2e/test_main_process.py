"""The real entry point, as `python main.py` runs it, in a subprocess on a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path, **env) -> subprocess.Popen:
    environ = {**os.environ, "DATA_DIR": str(tmp_path), "PASSWORD_HASH_N": "16", **env}
    return subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(proc: subprocess.Popen) -> None:
    """Kill the server if it still runs, and release its pipe, whatever the test did."""
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def wait_for_health(port: int, proc: subprocess.Popen, deadline_s: float = 15) -> dict:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                return json.loads(resp.read())
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not answer /health in time")


def test_main_serves_the_api_and_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    proc = start(tmp_path, PORT=str(port))
    try:
        assert wait_for_health(port, proc)["status"] == "ok"
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/register",
            data=json.dumps({"username": "alice", "password": "password-1"}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 201
            assert float(resp.headers["X-Process-Time"]) >= 0
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert "shutting down" in out
    finally:
        stop(proc)
    assert (tmp_path / "secret_key").exists()


def test_a_bad_setting_stops_the_start_naming_the_variable(tmp_path):
    proc = start(tmp_path, PORT="not-a-port")
    try:
        out, _ = proc.communicate(timeout=15)
    finally:
        stop(proc)
    assert proc.returncode == 2
    assert "PORT" in out and "configuration error" in out
