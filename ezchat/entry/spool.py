"""An upload being received: its bytes written to a file and hashed on a thread of its own, one
chunk behind the network, so neither the disk nor SHA-256 (which let go of the GIL) ever hold
the event loop, and no more than two chunks of it are in memory."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ezchat.domain.errors import StorageUnavailable

FLUSH_EVERY = 4 * 1024 * 1024


class Spool:
    def __init__(self, directory: Path | None) -> None:
        fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
        os.fchmod(fd, 0o600)
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._hash = hashlib.sha256()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self._last: asyncio.Future[None] | None = None
        self._error: OSError | None = None
        self._fd = fd
        self._written = self._flushed = 0
        self.size = 0

    def add(self, chunk: bytes) -> asyncio.Future[None] | None:
        """Take a chunk; the answer is the previous chunk's write, for the caller to wait on
        (Tornado reads no more of the body until it is done)."""
        previous = self._last
        self.size += len(chunk)
        self._last = asyncio.wrap_future(self._thread.submit(self._absorb, chunk))
        return previous

    def _absorb(self, chunk: bytes) -> None:
        if self._error is not None:
            return
        try:
            self._file.write(chunk)
            self._hash.update(chunk)
            self._written += len(chunk)
            if self._written - self._flushed >= FLUSH_EVERY and hasattr(os, "posix_fadvise"):
                # Start writing what came so far to disk now (asynchronously: Linux begins
                # writeback for DONTNEED), so the fsync before storing has little left to do.
                os.posix_fadvise(self._fd, self._flushed, 0, os.POSIX_FADV_DONTNEED)
                self._flushed = self._written
        except OSError as exc:
            self._error = exc

    async def finish(self) -> str:
        """Everything written and the file closed; the SHA-256 of the bytes, in hex."""
        if self._last is not None:
            await self._last
        self._thread.shutdown(wait=True)
        self._file.close()
        if self._error is not None:
            raise StorageUnavailable(f"could not receive the file: {self._error.strerror}")
        return self._hash.hexdigest()

    def discard(self) -> None:
        """Nothing of it stays (a refused or cut-short upload)."""
        self._thread.shutdown(wait=True, cancel_futures=True)  # a chunk at most is in hand
        with contextlib.suppress(OSError):
            self._file.close()
        self.path.unlink(missing_ok=True)
