"""Uploads and downloads: ``POST /api/files`` (the file's bytes as the body, streamed to disk,
never whole in memory), ``GET /api/files/{id}`` and ``.../thumbnail`` (by token or signed link,
ranges, ETag; never shown as a page of ours)."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from tornado.iostream import StreamClosedError

from ezchat.adapters.files.local import LocalFileStore
from ezchat.domain.errors import NotFound, TooLarge, Unauthorized
from ezchat.domain.files import StoredFile
from ezchat.entry import serialize
from ezchat.entry.handlers.base import ApiHandler, error_json
from ezchat.entry.logs import assign_request_id
from ezchat.entry.ranges import Unsatisfiable, byte_range
from ezchat.entry.spool import Spool
from ezchat.services.files import THUMB


class UploadHandler(ApiHandler):
    """The body is the file. Its declared size is refused past the limit before a byte is
    read; a body without one is refused as soon as it passes it (the connection then
    closes: the rest is not read). The bytes go to a ``Spool`` (written and hashed off the
    event loop) and from there to the store."""

    def initialize(self, services: Any) -> None:
        super().initialize(services)
        self._spool: Spool | None = None
        self._kept_name = ""
        self._refused = False
        self._restore: Callable[[], None] | None = None

    async def prepare(self) -> None:
        assign_request_id(self)
        if self.request.method != "POST":
            return
        self.session = await self.services.auth.session(self._bearer())
        self._user = self.session.user
        files = self.services.files
        length = self.request.headers.get("Content-Length")
        declared = int(length) if length is not None and length.isdigit() else None
        self._kept_name = await files.admit(
            self._user.id, self.get_query_argument("name", None), declared
        )
        # Tornado's own cap for this request, above ours: a declared size is checked above and
        # a running one in data_received, which answers 413 itself; Tornado would cut a body
        # without a length short with a bare 400 when it passes its cap first.
        limit = files.limits.max_upload_bytes
        self.request.connection.set_max_body_size(2 * limit + 2**20)  # type: ignore[union-attr]
        self._restore = read_in_large_chunks(self.request.connection)
        blobs = files.blobs
        self._spool = Spool(blobs.spool if isinstance(blobs, LocalFileStore) else None)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        spool = self._spool
        if self._refused or spool is None:
            return None
        limit = self.services.files.limits.max_upload_bytes
        if spool.size + len(chunk) > limit:
            self._refused = True
            self._discard()
            self.send_error(413, exc_info=(TooLarge, TooLarge(_too_large(limit)), None))
            return None
        return spool.add(chunk)

    async def post(self) -> None:
        spool = self._spool
        assert spool is not None and self._user is not None
        digest = await spool.finish()
        self._spool = None
        record = await self.services.files.store(
            self._user.id, self._kept_name, spool.path, size=spool.size, sha256=digest
        )
        self.reply(serialize.stored_file(record), 201)

    def _discard(self) -> None:
        if self._spool is not None:
            self._spool.discard()
            self._spool = None

    def on_finish(self) -> None:
        self._discard()
        if self._restore is not None:
            self._restore()
            self._restore = None
        super().on_finish()

    def on_connection_close(self) -> None:
        self._discard()  # a body cut short: nothing of it stays
        super().on_connection_close()


UPLOAD_CHUNK = 512 * 1024


def read_in_large_chunks(connection: object) -> Callable[[], None] | None:
    """This connection reads its body in chunks of 512 KiB instead of Tornado's 64 KiB (an
    eighth of the turns through IOStream and data_received per byte), until the returned
    function puts it back (later requests on a kept-alive connection read as any other).
    Reaches into Tornado: the connection's ``params`` (shared by every connection of the
    server, so this one gets a copy) and its stream's ``read_chunk_size``
    (docs/benchmarks.md, library internals; tests/e2e/test_files_hostile.py)."""
    params = getattr(connection, "params", None)
    stream = getattr(connection, "stream", None)
    if params is None or stream is None or not hasattr(params, "chunk_size"):
        return None
    before = stream.read_chunk_size
    own = copy.copy(params)
    own.chunk_size = UPLOAD_CHUNK
    connection.params = own  # type: ignore[attr-defined]
    stream.read_chunk_size = UPLOAD_CHUNK

    def restore() -> None:
        connection.params = params  # type: ignore[attr-defined]
        stream.read_chunk_size = before

    return restore


def _too_large(limit: int) -> str:
    return f"a file must be at most {limit} bytes"


class FileHandler(ApiHandler):
    """The bytes, to the uploader and to members of a conversation where a standing message
    carries the file; ``404`` to anyone else. By ``Authorization: Bearer`` or by a signed
    link (``?exp=&sig=``, bound to the file and the user it was made for)."""

    requires_auth = False
    thumbnail = False

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method in ("GET", "HEAD") and self._bearer() is not None:
            self.session = await self.services.auth.session(self._bearer())
            self._user = self.session.user

    async def _reader(self, file_id: str) -> str:
        """Who is asking: the token's user, or the user a genuine link was made for."""
        if self._user is not None:
            return self._user.id
        links = self.services.files.links
        now = self.services.clock.now().timestamp()
        user_id = links.user_of(
            file_id, self.get_query_argument("exp", None), self.get_query_argument("sig", None), now
        )
        if user_id is None:
            if self.get_query_argument("sig", None) is not None:
                raise NotFound("file not found")  # a tampered or expired link opens nothing
            raise Unauthorized("a token or a signed link is required")
        user = await self.services.stores.users.get(user_id)
        if user is None or user.disabled:
            raise NotFound("file not found")
        return user_id

    async def get(self, file_id: str) -> None:
        await self._serve(file_id, body=True)

    async def head(self, file_id: str) -> None:
        await self._serve(file_id, body=False)

    async def _serve(self, file_id: str, *, body: bool) -> None:
        user_id = await self._reader(file_id)
        record = await self.services.files.open(user_id, file_id)
        key, mime, size, etag = _what(record, self.thumbnail)
        if key is None:
            raise NotFound("this file has no thumbnail")
        self._file_headers(record, mime, etag)
        if etag in _etags(self.request.headers.get("If-None-Match", "")):
            self.set_status(304)
            self.finish()
            return
        wanted = self.request.headers.get("Range")
        if_range = self.request.headers.get("If-Range")
        if if_range is not None and if_range.strip() != etag:
            wanted = None  # the client holds another version: the whole file
        try:
            span = byte_range(wanted, size)
        except Unsatisfiable:
            self.set_status(416)
            self.set_header("Content-Range", f"bytes */{size}")
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.clear_header("Content-Disposition")
            self.finish(error_json("invalid_request", "the range is past the end of the file"))
            return
        start, end = span if span is not None else (0, size)
        if span is not None:
            self.set_status(206)
            self.set_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.set_header("Content-Length", str(end - start))
        if not body or end == start:
            self.finish()
            return
        try:
            async for chunk in self.services.files.blobs.read(key, start, end):
                self.write(chunk)
                await self.flush()
        except StreamClosedError:
            return  # the client went away
        self.finish()

    def _file_headers(self, record: StoredFile, mime: str, etag: str) -> None:
        self.set_header("Content-Type", mime + ("; charset=utf-8" if mime == "text/plain" else ""))
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", "private, max-age=3600")
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox")
        shown = "inline" if record.inline else "attachment"
        self.set_header("Content-Disposition", _disposition(shown, record.name))
        self.clear_header("Vary")


def _what(record: StoredFile, thumbnail: bool) -> tuple[str | None, str, int, str]:
    """The object to serve, its type, size and ETag (every record with a thumbnail keeps its
    size: both are written in the same upload)."""
    if not thumbnail:
        return record.id, record.mime_type, record.size, f'"{record.sha256}"'
    if not record.thumbnail_type:
        return None, "", 0, ""
    return (
        record.id + THUMB,
        record.thumbnail_type,
        record.thumbnail_size,
        f'"{record.sha256}-thumb"',
    )


def _etags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def _disposition(kind: str, name: str) -> str:
    """RFC 6266: an ASCII fallback, and the name itself in UTF-8 (RFC 8187)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class ThumbnailHandler(FileHandler):
    thumbnail = True
