"""Running the real server, `python main.py`, as a subprocess on a free port."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    # Every server started and not yet stopped: the e2e conftest stops them after each test,
    # whatever the test did, so none outlives it.
    started: list[ServerProcess] = []

    def __init__(self, data_dir: Path, **env: str) -> None:
        # A port of our choosing can still be taken before the server binds it; only then, and
        # only for a port we chose, wait_ready starts the server again on another.
        self._chosen_port = "PORT" not in env
        self.port = int(env.pop("PORT", free_port()))
        self._environ = {
            **os.environ,
            "DATA_DIR": str(data_dir),
            "PASSWORD_HASH_N": "16",
            "REGISTER_MAX_PER_ADDRESS": "10000",
            "LOG_LEVEL": "WARNING",
            "OUTBOUND_ALLOW_PRIVATE": "true",  # receivers and push services on 127.0.0.1
            **env,
        }
        self._spawn()
        ServerProcess.started.append(self)

    def _spawn(self) -> None:
        # A session of its own: stop() ends the server and any workers it forked together,
        # without touching the test runner's process group.
        self.proc = subprocess.Popen(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env={**self._environ, "PORT": str(self.port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, deadline_s: float = 20) -> dict[str, Any]:
        end = time.monotonic() + deadline_s
        retries = 3
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                out = self.output()
                if self._chosen_port and retries and "Address already in use" in out:
                    retries -= 1
                    self.port = free_port()
                    self._spawn()
                    continue
                raise AssertionError(f"server exited early: {out}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=1) as resp:
                    return json.loads(resp.read())
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not answer /health in time")

    def output(self) -> str:
        if self.proc.poll() is None or self.proc.stdout is None or self.proc.stdout.closed:
            return ""
        out, _ = self.proc.communicate()
        return out or ""

    def stop(self) -> None:
        """End the server and everything it forked, and release its pipe, whatever the test
        did; again is harmless."""
        # SIGKILL, not SIGTERM: a graceful stop waits for WebSocket clients that may live on the
        # very event loop this call blocks (graceful shutdown has a test of its own).
        if self in ServerProcess.started:
            ServerProcess.started.remove(self)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            try:
                self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.stdout.close()


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """A blocking JSON call, for the set-up steps of process tests."""
    req = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None


def register(base: str, name: str) -> tuple[dict[str, Any], str]:
    """A new user: (user, token)."""
    r = call(base, "POST", "/api/auth/register", {"username": name, "password": "password-1"})
    return r["user"], r["token"]


def new_group(base: str, token: str, *members: dict[str, Any], name: str = "g") -> str:
    body = {"type": "group", "name": name, "member_ids": [m["id"] for m in members]}
    return str(call(base, "POST", "/api/conversations", body, token=token)["id"])


def new_direct(base: str, token: str, other: dict[str, Any]) -> str:
    body = {"type": "direct", "user_id": other["id"]}
    return str(call(base, "POST", "/api/conversations", body, token=token)["id"])


def post(base: str, token: str, cid: str, client_id: str, text: str) -> dict[str, Any]:
    body = {"client_id": client_id, "text": text}
    return call(base, "POST", f"/api/conversations/{cid}/messages", body, token=token)
