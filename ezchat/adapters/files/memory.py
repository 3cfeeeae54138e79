"""Files' bytes in this process's memory: for tests and for apps' test servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from ezchat.domain.errors import NotFound

CHUNK = 256 * 1024


class MemoryFileStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    async def put(self, key: str, source: Path) -> None:
        self.objects[key] = source.read_bytes()
        source.unlink(missing_ok=True)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        data = self.objects.get(key)
        if data is None:
            raise NotFound("file not found")
        stop = len(data) if end is None else min(end, len(data))
        for at in range(start, stop, CHUNK):
            yield data[at : min(at + CHUNK, stop)]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.objects
