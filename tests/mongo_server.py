"""A real MongoDB wire-protocol server for the tests: nx-27017 (a PyPI package), started on a
free 127.0.0.1 port and stopped when the session ends, whatever happened."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.ports import free_port


class NxServer:
    def __init__(self, db_path: str = "memory") -> None:
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="ezchat-nx-")
        exe = Path(sys.executable).with_name("nx-27017")
        command = [str(exe)] if exe.exists() else [shutil.which("nx-27017") or "nx-27017"]
        self._log = open(os.path.join(self._dir, "nx.out"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                *command,
                "--db",
                "memory",
                "--host",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--log-file",
                os.path.join(self._dir, "nx.log"),
                "--pid-file",
                os.path.join(self._dir, "nx.pid"),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening(deadline_s=30)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def _wait_until_listening(self, deadline_s: float) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with {self.proc.returncode}: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nx-27017 did not start listening in time")

    def output(self) -> str:
        try:
            return Path(self._dir, "nx.out").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self._log.closed:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self._dir, ignore_errors=True)
