"""Connections counted in this process: right when there is one process."""

from __future__ import annotations


class LocalConnectionCounter:
    def __init__(self) -> None:
        self._open: dict[str, set[str]] = {}

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def opened(self, user_id: str, connection_id: str) -> int:
        conns = self._open.setdefault(user_id, set())
        conns.add(connection_id)
        return len(conns)

    async def closed(self, user_id: str, connection_id: str) -> int:
        conns = self._open.get(user_id)
        if conns is None:
            return 0
        conns.discard(connection_id)
        if not conns:
            del self._open[user_id]
        return len(conns)

    async def count(self, user_id: str) -> int:
        return len(self._open.get(user_id, ()))
