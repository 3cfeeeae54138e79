"""File ports: where the bytes live (``FileStore``: local disk, S3, memory) and what is known
of each file (``FileRecordStore``, beside the other records). Every method may raise
``StorageUnavailable``; no driver exception leaves an adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ezchat.domain.files import StoredFile


class FileStore(Protocol):
    """Bytes by key. A put is whole or absent: a crash or a failed upload never leaves part
    of an object under its key."""

    async def put(self, key: str, source: Path) -> None:
        """Store the file at ``source`` (a spooled upload, removed or moved by the call)."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``start`` to ``end`` (exclusive; None: to the end), in chunks. Raises
        ``NotFound`` (at the first chunk) when there is no such object."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; no error when there is none."""

    async def exists(self, key: str) -> bool: ...


class FileRecordStore(Protocol):
    async def add(self, record: StoredFile, *, quota_bytes: int) -> bool:
        """Store the record unless its owner's files would then take more than
        ``quota_bytes`` together: checked and written as one step, so concurrent uploads
        (of any process) never pass the quota together. Whether it was stored."""

    async def get(self, file_id: str) -> StoredFile | None: ...

    async def used_bytes(self, owner_id: str) -> int:
        """The sum of the sizes of the user's files."""

    async def touch(self, file_id: str, now: float) -> bool:
        """Mark the file as being attached now (``attached_at``); False when it is gone."""

    async def delete_if_idle(self, file_id: str, attached_before: float) -> bool:
        """Delete the record unless a message took it at or after ``attached_before``: one
        conditional write, so a send that marked the file first keeps it. Whether it went."""

    async def idle(self, before: float, limit: int) -> list[StoredFile]:
        """Files created before ``before`` (epoch seconds) and not attached since: candidates
        for the clean-up, oldest first."""


@dataclass(frozen=True)
class Inspected:
    """What an upload turned out to be, after its metadata was stripped."""

    mime_type: str
    size: int
    sha256: str  # of the bytes as they are now (an image rewritten without its metadata)
    width: int | None = None
    height: int | None = None
    thumbnail: Path | None = None  # a file beside the upload, to store as the thumbnail
    thumbnail_type: str | None = None


class FileInspector(Protocol):
    async def inspect(self, path: Path, *, size: int, sha256: str) -> Inspected:
        """Sniff the type of the upload at ``path`` (``size`` bytes, hashed as received);
        for an image: its dimensions, its metadata removed in place (orientation applied
        first) and a thumbnail. Raises ``InvalidRequest`` for an image past the pixel limit
        or one that cannot be decoded."""
