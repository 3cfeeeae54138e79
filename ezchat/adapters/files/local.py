"""Files' bytes on local disk, under ``DATA_DIR/files``: each object one file, readable by the
server's user only (0600), written under a temporary name, flushed to disk and renamed, so a
crash never leaves half a file under its key. Reads and writes run off the event loop."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ezchat.domain.errors import NotFound, StorageUnavailable

CHUNK = 256 * 1024
KEY = re.compile(r"[0-9a-f]{32}(\.[a-z]+)?")


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.spool = root / ".incoming"  # uploads in progress: on the same filesystem

    def prepare(self) -> None:
        for path in (self.root, self.spool):
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in self.spool.iterdir():  # a crash's leftovers: never a stored object
            stale.unlink(missing_ok=True)

    def path_of(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"not a file key: {key!r}")
        return self.root / key[:2] / key

    async def put(self, key: str, source: Path) -> None:
        target = self.path_of(key)

        def move() -> None:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            os.chmod(source, 0o600)
            fd = os.open(source, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(source, target)
            dir_fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

        try:
            await asyncio.get_running_loop().run_in_executor(None, move)
        except OSError as exc:
            raise StorageUnavailable(f"could not store the file: {exc.strerror}") from None

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        path = self.path_of(key)
        first = CHUNK if end is None else min(CHUNK, max(0, end - start))

        def begin() -> tuple[Any, bytes]:
            f = open(path, "rb")  # noqa: SIM115 - closed below, after the last chunk
            f.seek(start)
            return f, f.read(first)

        try:
            f, chunk = await loop.run_in_executor(None, begin)  # one hop: a thumbnail whole
        except FileNotFoundError:
            raise NotFound("file not found") from None
        except OSError as exc:
            raise StorageUnavailable(f"could not read the file: {exc.strerror}") from None
        try:
            left = None if end is None else max(0, end - start)
            asked = first
            while chunk:
                if left is not None:
                    left -= len(chunk)
                yield chunk
                if len(chunk) < asked or left == 0:
                    return  # the end of the file, or of the range
                asked = CHUNK if left is None else min(CHUNK, left)
                chunk = await loop.run_in_executor(None, f.read, asked)
        finally:
            f.close()

    async def delete(self, key: str) -> None:
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.path_of(key).unlink(missing_ok=True)
        )

    async def exists(self, key: str) -> bool:
        return self.path_of(key).exists()
