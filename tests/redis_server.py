"""Redis for the tests: the one on 127.0.0.1:6379 when it answers, else a private redis-server
on a free port; a private one is always used where a test restarts it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from tests.ports import free_port


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self, port: int | None = None, *extra: str, cluster: bool = False) -> None:
        """``extra``: more redis-server arguments. ``cluster``: a cluster node, whose bus port
        is chosen free too (by default Redis takes port + 10000, which lands in the kernel's
        ephemeral range, where any outgoing connection may hold it)."""
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self._exe = exe
        self._dir = tempfile.mkdtemp(prefix="ezchat-redis-")
        self.proc: subprocess.Popen[bytes] | None = None
        for attempt in range(5):  # a free port may be taken before the server binds it
            self.port = free_port() if port is None else port
            self._extra = list(extra)
            if cluster:
                self._extra += ["--cluster-enabled", "yes", "--cluster-port", str(free_port())]
            try:
                self.start()
                return
            except RuntimeError:
                if port is not None or attempt == 4:
                    raise

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log_path = os.path.join(self._dir, "redis.log")
        with open(log_path, "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [
                    self._exe,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    self._dir,
                    *self._extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        end = time.monotonic() + 10
        while not answers(self.port):
            if time.monotonic() > end or self.proc.poll() is not None:
                self.stop()
                with open(log_path, "rb") as log:
                    tail = log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"redis-server did not start on {self.port}:\n{tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class RedisCluster:
    """A real Redis Cluster of three masters on free ports (no replicas), made with
    ``redis-cli --cluster create``; a node can be stopped and started again with its state."""

    def __init__(self, nodes: int = 3) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed (make test installs redis)")
        self.nodes = [
            RedisServer(
                None,
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
                cluster=True,
            )
            for _ in range(nodes)
        ]
        try:
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes)]
                + ["--cluster-replicas", "0", "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            self.wait_ok()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def state(self, node: RedisServer) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(node.port), "cluster", "info"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        return next(
            (
                line.split(":")[1].strip()
                for line in out.splitlines()
                if line.startswith("cluster_state:")
            ),
            "",
        )

    def wait_ok(self, deadline_s: float = 60) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if all(self.state(n) == "ok" for n in self.nodes):
                return
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not come up")

    def node_of(self, key: str) -> RedisServer:
        """The node holding ``key``'s slot (a sharded channel's too)."""
        import redis

        client = redis.RedisCluster(host="127.0.0.1", port=self.nodes[0].port)
        try:
            port = client.get_node_from_key(key).port
        finally:
            client.close()
        return next(n for n in self.nodes if n.port == port)

    def stop(self) -> None:
        for n in self.nodes:
            n.stop()
