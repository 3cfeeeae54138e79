"""Uploaded files: taking one in (type sniffed, metadata stripped, quota and rate counted),
who may open it (its uploader, and the members of a conversation where a standing message
carries it), attaching it to a message, and letting it go when nothing carries it any more."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ezchat.domain.errors import InvalidRequest, NotFound, QuotaExceeded, RateLimited, TooLarge
from ezchat.domain.files import FileLinks, StoredFile, file_name, file_path
from ezchat.domain.ids import new_id
from ezchat.domain.messages import Attachment
from ezchat.ports.clock import Clock
from ezchat.ports.files import FileInspector, FileRecordStore, FileStore
from ezchat.ports.limits import RateLimits
from ezchat.ports.storage import ConversationStore, MessageStore

log = logging.getLogger(__name__)

THUMB = ".thumb"
# After a message takes a file, the clean-up leaves it alone this long: a send between its
# check of the file and its write keeps the file.
ATTACH_GRACE_S = 300.0


@dataclass(frozen=True)
class FileLimits:
    max_upload_bytes: int
    quota_bytes: int
    orphan_ttl_s: float


class FileService:
    def __init__(
        self,
        *,
        records: FileRecordStore,
        blobs: FileStore,
        messages: MessageStore,
        conversations: ConversationStore,
        inspector: FileInspector,
        links: FileLinks,
        clock: Clock,
        limits: FileLimits,
        rate_limits: RateLimits | None,
        bucket: str,
    ) -> None:
        self._records = records
        self.blobs = blobs
        self._messages = messages
        self._conversations = conversations
        self._inspector = inspector
        self.links = links
        self._clock = clock
        self.limits = limits
        self._rate_limits = rate_limits
        self._bucket = bucket

    async def admit(self, caller: str, name: str | None, declared: int | None) -> str:
        """Before the body is read: the name as it will be kept; the declared size against the
        upload limit and the caller's quota; one token of the caller's message rate."""
        kept = file_name(name)
        if declared is not None:
            self.check_size(declared)
            await self._check_quota(caller, declared)
        if self._rate_limits is not None:
            wait = await self._rate_limits.take(self._bucket, caller)
            if wait > 0:
                raise RateLimited("uploading too fast; slow down", retry_after=round(wait, 3))
        return kept

    def check_size(self, size: int) -> None:
        if size > self.limits.max_upload_bytes:
            raise TooLarge(f"a file must be at most {self.limits.max_upload_bytes} bytes")

    async def _check_quota(self, caller: str, adding: int) -> None:
        used = await self._records.used_bytes(caller)
        if used + adding > self.limits.quota_bytes:
            raise QuotaExceeded(
                f"your files would take {used + adding} bytes: your quota is"
                f" {self.limits.quota_bytes}"
            )

    async def store(
        self, caller: str, name: str, spooled: Path, *, size: int, sha256: str
    ) -> StoredFile:
        """The received upload (spooled whole at ``spooled``, ``size`` bytes) inspected and
        stored. The spooled file is consumed, whatever happens."""
        thumb: Path | None = None
        try:
            if size == 0:
                raise InvalidRequest("the file is empty", field="body")
            self.check_size(size)
            seen = await self._inspector.inspect(spooled, size=size, sha256=sha256)
            thumb = seen.thumbnail
            await self._check_quota(caller, seen.size)
            record = StoredFile(
                id=new_id(),
                owner_id=caller,
                name=name,
                mime_type=seen.mime_type,
                size=seen.size,
                sha256=seen.sha256,
                created_at=self._clock.now(),
                width=seen.width,
                height=seen.height,
                thumbnail_type=seen.thumbnail_type if thumb else None,
                thumbnail_size=thumb.stat().st_size if thumb else 0,
            )
            await self.blobs.put(record.id, spooled)
            if thumb is not None:
                await self.blobs.put(record.id + THUMB, thumb)
            try:
                stored = await self._records.add(record, quota_bytes=self.limits.quota_bytes)
            except BaseException:
                await self._drop_bytes(record.id)
                raise
            if not stored:
                await self._drop_bytes(record.id)
                await self._check_quota(caller, seen.size)  # says how far past it
                raise QuotaExceeded("your files would pass your quota")
            return record
        finally:
            spooled.unlink(missing_ok=True)
            if thumb is not None:
                thumb.unlink(missing_ok=True)

    async def open(self, user_id: str, file_id: str) -> StoredFile:
        """The file, when ``user_id`` may open it; ``NotFound`` otherwise (whether it exists
        is not told)."""
        record = await self._records.get(file_id) if len(file_id) <= 64 else None
        if record is None or not await self._may_open(user_id, record):
            raise NotFound("file not found")
        return record

    async def _may_open(self, user_id: str, record: StoredFile) -> bool:
        if record.owner_id == user_id:
            return True
        for conversation_id in await self._messages.conversations_with_file(record.id):
            conv = await self._conversations.get(conversation_id)
            if conv is not None and conv.member(user_id) is not None:
                return True
        return False

    async def attach(self, caller: str, items: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
        """Attachments as a message keeps them: an uploaded file (``file_id``) filled in from
        its record, which only its uploader may attach; links as they are."""
        out = []
        for i, a in enumerate(items):
            if a.file_id is None:
                out.append(a)
                continue
            where = f"attachments[{i}].file_id"
            record = await self._records.get(a.file_id) if len(a.file_id) <= 64 else None
            if record is None or record.owner_id != caller:
                raise InvalidRequest(f"{where} names no file of yours", field=where)
            if not await self._records.touch(record.id, self._clock.now().timestamp()):
                raise InvalidRequest(f"{where} names no file of yours", field=where)
            out.append(
                Attachment(
                    url=file_path(record.id),
                    name=record.name,
                    mime_type=record.mime_type,
                    size=record.size,
                    file_id=record.id,
                    width=record.width,
                    height=record.height,
                    thumbnail=record.thumbnail_type is not None,
                )
            )
        return tuple(out)

    async def released(self, file_ids: tuple[str, ...]) -> None:
        """Messages that carried these files were deleted: the files no standing message
        carries any more go (unless one was attached again just now: the clean-up takes those
        later). Never raises: the delete itself is done."""
        now = self._clock.now().timestamp()
        for file_id in set(file_ids):
            try:
                await self._remove_if_unused(file_id, attached_before=now - ATTACH_GRACE_S)
            except Exception:  # noqa: BLE001 - the clean-up sweeps what this misses
                log.warning("could not remove file %s after its message went", file_id)

    async def sweep(self, limit: int = 100) -> int:
        """Uploads older than the orphan lifetime that no standing message carries: deleted.
        How many went."""
        cutoff = self._clock.now().timestamp() - self.limits.orphan_ttl_s
        gone = 0
        for record in await self._records.idle(cutoff, limit):
            if await self._remove_if_unused(record.id, attached_before=cutoff):
                gone += 1
        return gone

    async def purge(self, owner_id: str, file_ids: tuple[str, ...]) -> tuple[str, ...]:
        """Erasing a deleted account: the files among these that ``owner_id`` uploaded go,
        whatever still carries them (a forwarded copy then shows a file that is gone). The
        others (someone else's, forwarded to them), left to ``released``."""
        others = []
        for file_id in set(file_ids):
            record = await self._records.get(file_id)
            if record is not None and record.owner_id == owner_id:
                await self._records.delete_if_idle(file_id, float("inf"))
                await self._drop_bytes(file_id)
            else:
                others.append(file_id)
        return tuple(others)

    async def _remove_if_unused(self, file_id: str, *, attached_before: float) -> bool:
        if await self._messages.conversations_with_file(file_id):
            return False
        if not await self._records.delete_if_idle(file_id, attached_before):
            return False
        await self._drop_bytes(file_id)
        return True

    async def _drop_bytes(self, file_id: str) -> None:
        await self.blobs.delete(file_id)
        await self.blobs.delete(file_id + THUMB)
