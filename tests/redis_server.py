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


def cli(port: int, *args: str) -> str:
    """What ``redis-cli -p PORT ARGS`` prints."""
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10
    ).stdout


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

    def kill(self) -> None:
        """SIGKILL: the node dies as a crashed machine would, saying nothing to the cluster."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

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
    """A real Redis Cluster of three masters on free ports (with ``replicas``, that many
    replicas of each), made with ``redis-cli --cluster create``; a node can be stopped and
    started again with its state, or killed."""

    def __init__(self, nodes: int = 3, *, replicas: int = 0, node_timeout_ms: int = 2000) -> None:
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed (make test installs redis)")
        self.nodes = [
            RedisServer(
                None,
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                str(node_timeout_ms),
                cluster=True,
            )
            for _ in range(nodes * (1 + replicas))
        ]
        try:
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes)]
                + ["--cluster-replicas", str(replicas), "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            self.wait_ok()
            self._replicas_of = self._replica_map()
        except BaseException:
            self.stop()
            raise

    def _replica_map(self) -> dict[str, list[RedisServer]]:
        """Primary node id -> its replicas, as the cluster was made."""
        out = cli(self.nodes[0].port, "cluster", "nodes")
        found: dict[str, list[RedisServer]] = {}
        for line in out.splitlines():
            fields = line.split()
            if "slave" in fields[2]:
                port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
                node = next(n for n in self.nodes if n.port == port)
                found.setdefault(fields[3], []).append(node)
        return found

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def state(self, node: RedisServer) -> str:
        out = cli(node.port, "cluster", "info")
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
            if all(self.state(n) == "ok" for n in self.nodes if n.alive) and (
                len(self.nodes) == 3 or self._replicas_synced()
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not come up")

    def _replicas_synced(self) -> bool:
        for node in self.nodes:
            if not node.alive:
                continue
            info = cli(node.port, "info", "replication")
            if "role:slave" in info and "master_link_status:up" not in info:
                return False
        return True

    def primary_of(self, node: RedisServer) -> bool:
        """Whether ``node`` is a primary now (as it sees itself)."""
        out = cli(node.port, "role")
        return out.startswith("master")

    def wait_promoted(self, dead: RedisServer, deadline_s: float = 60) -> RedisServer:
        """Once a replica of the ``dead`` primary took its slots and the cluster is ok again:
        that replica."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            for node in self.nodes:
                if not node.alive or node is dead:
                    continue
                out = cli(node.port, "cluster", "nodes")
                for line in out.splitlines():
                    fields = line.split()
                    if f":{dead.port}@" in fields[1] and "fail" in fields[2]:
                        promoted = self._promoted_in_place_of(out, fields[0])
                        if promoted is not None and all(
                            self.state(n) == "ok" for n in self.nodes if n.alive
                        ):
                            return promoted
                break
            time.sleep(0.05)
        raise RuntimeError("no replica took over the dead primary's slots")

    def _promoted_in_place_of(self, nodes_out: str, dead_id: str) -> RedisServer | None:
        # The dead primary's former replica: a master now, listed with slots.
        for line in nodes_out.splitlines():
            fields = line.split()
            if "master" in fields[2] and "fail" not in fields[2] and len(fields) > 8:
                port = int(fields[1].split("@")[0].rsplit(":", 1)[1])
                node = next((n for n in self.nodes if n.port == port), None)
                if node is not None and node in self._replicas_of.get(dead_id, []):
                    return node
        return None

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
