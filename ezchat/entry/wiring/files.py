"""Uploaded files: where their bytes go (FILE_STORAGE), the service over them, and the
clean-up of uploads no message carries."""

from __future__ import annotations

import logging
from pathlib import Path

from ezchat.adapters.files.images import PillowInspector
from ezchat.adapters.files.local import LocalFileStore
from ezchat.adapters.files.memory import MemoryFileStore
from ezchat.config import Config, secret_key
from ezchat.domain.files import FileLinks
from ezchat.periodic import Periodic
from ezchat.ports.clock import Clock
from ezchat.ports.files import FileStore
from ezchat.ports.limits import RateLimits
from ezchat.ports.storage import Stores
from ezchat.services.files import FileLimits, FileService
from ezchat.services.messages import MESSAGES

log = logging.getLogger("ezchat.files")

SWEEP_EVERY_S = 600.0


def file_store(config: Config) -> FileStore:
    """The FileStore FILE_STORAGE names; nothing is opened yet."""
    if config.file_storage == "memory":
        return MemoryFileStore()
    if config.file_storage == "s3":
        from ezchat.adapters.files.s3 import S3FileStore

        return S3FileStore.from_config(config)
    return LocalFileStore(Path(config.data_dir) / "files")


def build_files(
    config: Config, *, stores: Stores, blobs: FileStore, clock: Clock, rate_limits: RateLimits
) -> FileService:
    return FileService(
        records=stores.files,
        blobs=blobs,
        messages=stores.messages,
        conversations=stores.conversations,
        inspector=PillowInspector(max_pixels=config.max_image_pixels),
        links=FileLinks(secret_key(config).encode(), config.file_url_ttl_s),
        clock=clock,
        limits=FileLimits(
            max_upload_bytes=config.max_upload_bytes,
            quota_bytes=config.upload_quota_bytes,
            orphan_ttl_s=config.upload_orphan_ttl_s,
        ),
        rate_limits=rate_limits,
        bucket=MESSAGES,
    )


class FileSweeper:
    """The clean-up as a part of the app: prepares local storage at start, then deletes
    orphaned uploads every ten minutes."""

    def __init__(self, files: FileService) -> None:
        self._files = files
        self._loop = Periodic(self.sweep, every_s=SWEEP_EVERY_S, name="file-sweeper", log=log)

    async def sweep(self) -> int:
        gone = 0
        while (n := await self._files.sweep()) > 0:
            gone += n
        if gone:
            log.info("deleted %d uploads no message carries", gone)
        return gone

    async def start(self) -> None:
        blobs = self._files.blobs
        if isinstance(blobs, LocalFileStore):
            blobs.prepare()
        await self._loop.start()

    async def aclose(self) -> None:
        await self._loop.aclose()
        close = getattr(self._files.blobs, "aclose", None)  # S3: its client's connections
        if close is not None:
            await close()
