"""What an upload is, read from its bytes (``filetype``), and for images (Pillow): the size,
the metadata gone, a thumbnail. Pillow and the hashing run on worker threads, one image at a
time per process: decoding a large image holds tens of megabytes, and the event loop never
waits for it."""

from __future__ import annotations

import asyncio
import hashlib
import warnings
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from ezchat.domain.errors import InvalidRequest
from ezchat.domain.files import FALLBACK_TYPE, IMAGE_TYPES, THUMBNAIL_PX
from ezchat.ports.files import Inspected

SNIFF_BYTES = 8192
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def sniff(head: bytes) -> str:
    """The type the first bytes say: a known signature, else text when they are UTF-8 (a
    sequence cut at the end of the sample still counts), else octet-stream."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in head:
        return FALLBACK_TYPE
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            return FALLBACK_TYPE
    return "text/plain"


def file_digest(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


class PillowInspector:
    def __init__(self, *, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._one = asyncio.Semaphore(1)

    async def inspect(self, path: Path, *, size: int, sha256: str) -> Inspected:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
        mime = sniff(head)
        if mime not in IMAGE_TYPES:
            return Inspected(mime_type=mime, size=size, sha256=sha256)
        async with self._one:
            return await asyncio.get_running_loop().run_in_executor(None, self._image, path, mime)

    def _image(self, path: Path, mime: str) -> Inspected:
        thumb = path.with_name(path.name + ".thumb")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as im:
                    width, height = im.size
                    if width * height > self.max_pixels:
                        raise InvalidRequest(
                            f"the image is {width}x{height} pixels: at most {self.max_pixels}"
                            " pixels are taken",
                            field="body",
                        )
                    im.load()
                    width, height, thumb_type = self._rewrite(im, path, mime, thumb)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            thumb.unlink(missing_ok=True)
            raise InvalidRequest(f"the image could not be read: {exc}", field="body") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            thumb.unlink(missing_ok=True)
            raise InvalidRequest("the image has too many pixels", field="body") from None
        size, digest = file_digest(path)
        return Inspected(
            mime_type=mime,
            size=size,
            sha256=digest,
            width=width,
            height=height,
            thumbnail=thumb,
            thumbnail_type=thumb_type,
        )

    def _rewrite(self, im: Image.Image, path: Path, mime: str, thumb: Path) -> tuple[int, int, str]:
        """The image saved again without its metadata (EXIF, GPS, XMP, comments: none of it is
        passed on), turned upright first; GIF is kept as it is (the format has no EXIF).
        Returns the upright size and the thumbnail's type."""
        animated = bool(getattr(im, "is_animated", False))
        upright = im if animated else ImageOps.exif_transpose(im)
        if mime != "image/gif":
            options: dict[str, object] = {}
            if icc := im.info.get("icc_profile"):
                options["icc_profile"] = icc  # colour, not metadata about the person
            if mime == "image/jpeg":
                options.update(quality=92, subsampling="keep" if upright is im else 0)
            if animated:
                options.update(save_all=True)
            if mime == "image/webp" and not animated:
                options.update(quality=92)
            tmp = path.with_name(path.name + ".clean")
            upright.save(tmp, FORMATS[mime], **options)
            tmp.replace(path)
        small = upright.copy()
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        if small.mode in ("RGBA", "LA", "P") and (
            small.mode != "P" or "transparency" in small.info
        ):
            small.convert("RGBA").save(thumb, "PNG", optimize=True)
            kind = "image/png"
        else:
            small.convert("RGB").save(thumb, "JPEG", quality=85)
            kind = "image/jpeg"
        return upright.width, upright.height, kind
