"""An S3 for the tests: moto's server mode (a PyPI package), started on a free 127.0.0.1 port
and stopped when the session ends, the way nx-27017 stands in for MongoDB."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.ports import free_port, wait_listening

# moto takes any credentials; botocore needs some to sign with.
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MotoServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="ezchat-moto-")
        exe = Path(sys.executable).with_name("moto_server")
        self._log = open(os.path.join(self._dir, "moto.out"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(exe), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if not wait_listening(self.proc, self.port, "moto_server"):
            self.stop()
            raise RuntimeError("moto_server did not start listening in time")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
