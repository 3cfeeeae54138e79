"""Uploaded files: what is kept of one (``StoredFile``), the rules its name and type follow,
which types a browser may show inline, and the signed links that open one without a header."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from ezchat.domain.errors import InvalidRequest

MAX_NAME_LENGTH = 255
THUMBNAIL_PX = 320  # the long side of a thumbnail, at most
# Shown in the page (``Content-Disposition: inline``); every other type is a download. None of
# these can carry script: an uploaded HTML or SVG file must never run in our origin.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# Images whose dimensions are read, whose metadata is stripped and that get a thumbnail.
IMAGE_TYPES = INLINE_TYPES
FALLBACK_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class StoredFile:
    id: str
    owner_id: str
    name: str
    mime_type: str  # what the bytes are (sniffed), never what the client said
    size: int
    sha256: str  # hex
    created_at: datetime
    width: int | None = None
    height: int | None = None
    thumbnail_type: str | None = None  # the thumbnail's type, None when there is none
    thumbnail_size: int = 0
    # When a message last took it (epoch seconds): the clean-up leaves a file alone for a while
    # after, so a send in progress never loses its file.
    attached_at: float | None = None

    @property
    def is_image(self) -> bool:
        return self.width is not None

    @property
    def inline(self) -> bool:
        return self.mime_type in INLINE_TYPES


def file_name(value: str | None) -> str:
    """The name as kept: a base name only (no directories, whatever the separator), no control
    characters, NFC, at most 255 characters. Names that are nothing after that are refused."""
    if value is None:
        raise InvalidRequest("name is required", field="name")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest("name must be valid Unicode text", field="name") from None
    base = value.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(
        c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C"
    )
    base = base.strip().strip(".")
    if not base:
        raise InvalidRequest("name must name a file", field="name")
    if len(base) > MAX_NAME_LENGTH:
        stem, dot, ext = base.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            base = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            base = base[:MAX_NAME_LENGTH]
    return base


def file_path(file_id: str) -> str:
    return f"/api/files/{file_id}"


def thumbnail_path(file_id: str) -> str:
    return f"/api/files/{file_id}/thumbnail"


class FileLinks:
    """Signed links to a file for one user: ``?exp=E&sig=U.MAC``, the MAC an HMAC-SHA256 of
    the file id, the user id and the expiry under a key of the server's. A link is bound to the
    file and to the user it was made for; whether that user may still open the file is checked
    on each use, as for a request with their token.

    Expiries are rounded up to a quarter of the lifetime, so the same user sees the same link
    for a while and a browser's cache can keep the image: a link is valid for at least
    three quarters of ``ttl_s`` and at most ``ttl_s``."""

    def __init__(self, key: bytes, ttl_s: int) -> None:
        self._key = hashlib.sha256(b"ezchat-file-links\x00" + key).digest()
        self.ttl_s = ttl_s
        self._step = max(1, ttl_s // 4)

    def expiry(self, now: float) -> int:
        step = self._step
        return int((now + self.ttl_s - step) // step * step + step)

    def _mac(self, file_id: str, user_id: str, exp: int) -> str:
        msg = f"{file_id}\x00{user_id}\x00{exp}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def query(self, file_id: str, user_id: str, now: float) -> str:
        exp = self.expiry(now)
        return f"exp={exp}&sig={user_id}.{self._mac(file_id, user_id, exp)}"

    def user_of(self, file_id: str, exp: str | None, sig: str | None, now: float) -> str | None:
        """The user a link was made for, when it is genuine and not expired; else None."""
        if not exp or not sig or len(exp) > 12 or not exp.isdigit() or len(sig) > 200:
            return None
        user_id, _, mac = sig.rpartition(".")
        if not user_id or not mac or int(exp) < now:
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(file_id, user_id, int(exp)).encode()):
            return None
        return user_id
