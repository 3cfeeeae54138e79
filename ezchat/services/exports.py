"""Exports of one's own data: asked for, built in the background (by the process that was
asked, or after its lease by any process), kept ``ttl_s``, given only to their owner.

One build at a time per user (asking again while one is pending gives that one) and at most
``MAX_KEPT`` kept; the zip lives in the file store (``<id>.zip``), so every process
can serve it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from ezchat.domain.errors import Conflict, NotFound, RateLimited
from ezchat.domain.exports import MAX_KEPT, Export, ExportStatus
from ezchat.domain.ids import new_id
from ezchat.ports.clock import Clock
from ezchat.ports.exports import ExportStore
from ezchat.ports.files import FileStore
from ezchat.ports.limits import Bucket, RateLimits
from ezchat.services.export_zip import ExportWriter

log = logging.getLogger(__name__)

EXPORTS = "exports"  # the rate limit of new exports: 3 at once, then one per 10 minutes
EXPORT_BUCKET = Bucket(rate=1 / 600, burst=3)


class ExportService:
    def __init__(
        self,
        *,
        store: ExportStore,
        writer: ExportWriter,
        blobs: FileStore,
        clock: Clock,
        ttl_s: float,
        lease_s: float,
        spool: Path | None = None,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self._blobs = blobs
        self._clock = clock
        self._ttl_s = ttl_s
        self._lease_s = lease_s
        self._spool = spool
        self._rate_limits = rate_limits
        self._building: set[asyncio.Task[Export | None]] = set()

    async def request(self, caller: str) -> Export:
        mine = await self.store.for_owner(caller)
        for e in mine:
            if e.status is ExportStatus.PENDING:
                return e
        if sum(1 for e in mine if e.status is ExportStatus.READY) >= MAX_KEPT:
            raise Conflict(
                f"at most {MAX_KEPT} exports are kept; delete one or wait until one expires"
            )
        for e in mine:
            if e.status is ExportStatus.FAILED:  # asking again replaces a failed one
                await self._remove(e)
        if self._rate_limits is not None:
            wait = await self._rate_limits.take(EXPORTS, caller)
            if wait > 0:
                raise RateLimited("too many exports; try again later", retry_after=round(wait))
        now = self._clock.now().timestamp()
        export = Export(
            id=new_id(),
            owner_id=caller,
            status=ExportStatus.PENDING,
            created_at=now,
            expires_at=now + self._lease_s + self._ttl_s,
        )
        await self.store.add(export)
        self._start(export.id)
        return export

    async def get(self, caller: str, export_id: str) -> Export:
        export = await self.store.get(export_id) if len(export_id) <= 64 else None
        if export is None or export.owner_id != caller:
            raise NotFound("export not found")  # another's is not said to exist
        return export

    async def mine(self, caller: str) -> list[Export]:
        return await self.store.for_owner(caller)

    def read(self, export: Export) -> AsyncIterator[bytes]:
        return self._blobs.read(export.blob_key)

    async def delete(self, caller: str, export_id: str) -> None:
        export = await self.get(caller, export_id)
        await self._remove(export)

    async def _remove(self, export: Export) -> None:
        await self._blobs.delete(export.blob_key)
        await self.store.remove(export.id)

    async def sweep(self, limit: int = 100) -> int:
        """Expired exports go; pending ones whose build was given up start again here. How
        many were acted on."""
        now = self._clock.now().timestamp()
        due = await self.store.due(now, limit)
        for export in due:
            if export.expires_at <= now:
                await self._remove(export)
            else:
                self._start(export.id)
        return len(due)

    def _start(self, export_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self.build(export_id), name="export")
        self._building.add(task)
        task.add_done_callback(self._building.discard)

    async def build(self, export_id: str) -> Export | None:
        """Build the export if this process gets its lease; the export after, or None."""
        now = self._clock.now().timestamp()
        export = await self.store.claim(export_id, now=now, lease_s=self._lease_s)
        if export is None:
            return None  # another process builds it, or it is done
        fd, name = tempfile.mkstemp(suffix=".zip", dir=self._spool)
        os.close(fd)
        path = Path(name)
        try:
            await self.writer.write(export.owner_id, path)
            size = path.stat().st_size
            await self._blobs.put(export.blob_key, path)
            status, error = ExportStatus.READY, None
        except asyncio.CancelledError:
            raise  # stopping: the lease runs out and a process builds it again
        except Exception:
            log.exception("export %s could not be built", export_id)
            size, status, error = 0, ExportStatus.FAILED, "the export could not be built"
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        done = self._clock.now().timestamp()
        return await self.store.finish(
            export_id, status=status, size=size, error=error, expires_at=done + self._ttl_s
        )

    async def aclose(self) -> None:
        for task in list(self._building):
            task.cancel()
        await asyncio.gather(*self._building, return_exceptions=True)
