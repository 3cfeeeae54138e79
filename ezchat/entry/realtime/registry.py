"""The open connections of this process, by user: admission limits and fan-out."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ezchat.entry.filelinks import MARK_BYTES
from ezchat.entry.realtime.connection import Connection, wire


class Connections:
    def __init__(self, *, max_connections: int, max_per_user: int) -> None:
        self.max_connections = max_connections
        self.max_per_user = max_per_user
        # A tuple per user, not a set: a user holds a few connections at most (the per-user
        # limit), and a 1-tuple takes 48 bytes where a set takes 216, in every idle connection.
        self._by_user: dict[str, tuple[Connection, ...]] = {}
        self._count = 0
        self.deliveries = 0
        # Makes a frame that names uploaded files into each recipient's own (their signed
        # links); frames that name none are framed once for all (entry/filelinks.py).
        self.personal: Callable[[bytes, str], bytes] | None = None

    @property
    def count(self) -> int:
        return self._count

    @property
    def users(self) -> int:
        return len(self._by_user)

    def __contains__(self, user_id: object) -> bool:
        """Whether the user has a connection here."""
        return user_id in self._by_user

    def __iter__(self) -> Iterator[Connection]:
        return iter([c for conns in self._by_user.values() for c in conns])

    def of_user(self, user_id: str) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def any_of(self, user_ids: frozenset[str]) -> bool:
        """Whether any of these users has a connection here (one set operation, in C)."""
        return not self._by_user.keys().isdisjoint(user_ids)

    def admit(self, user_id: str) -> str | None:
        """Why a new connection of ``user_id`` may not open, or None when it may."""
        if self._count >= self.max_connections:
            return "server connection limit reached"
        return self.past_user_limit(len(self._by_user.get(user_id, ())) + 1)

    def past_user_limit(self, count: int) -> str | None:
        """Why a user's ``count``-th connection (counted here or everywhere) may not stay."""
        if count > self.max_per_user:
            return f"at most {self.max_per_user} connections per user"
        return None

    def add(self, conn: Connection) -> None:
        conns = self._by_user.get(conn.user_id, ())
        if conn not in conns:
            self._by_user[conn.user_id] = (*conns, conn)
            self._count += 1

    def remove(self, conn: Connection) -> bool:
        """Forget ``conn``; False when it was not here (removed already)."""
        conns = self._by_user.get(conn.user_id, ())
        if conn not in conns:
            return False
        self._count -= 1
        rest = tuple(c for c in conns if c is not conn)
        if rest:
            self._by_user[conn.user_id] = rest
        else:
            del self._by_user[conn.user_id]
        return True

    def deliver(self, user_ids: frozenset[str] | set[str], payload: bytes) -> int:
        """One frame, framed once, to every connection of these users; how many took it."""
        if self.personal is not None and MARK_BYTES in payload:
            return self._deliver_each(user_ids, payload, self.personal)
        sent = 0
        data = wire(payload)
        by_user = self._by_user
        for user_id in user_ids:
            for conn in by_user.get(user_id, ()):
                if conn.send(data):
                    sent += 1
        self.deliveries += sent
        return sent

    def _deliver_each(
        self,
        user_ids: frozenset[str] | set[str],
        payload: bytes,
        personal: Callable[[bytes, str], bytes],
    ) -> int:
        sent = 0
        for user_id in user_ids:
            conns = self._by_user.get(user_id, ())
            if not conns:
                continue
            data = wire(personal(payload, user_id))
            for conn in conns:
                if conn.send(data):
                    sent += 1
        self.deliveries += sent
        return sent
