"""Files' bytes in S3 or any S3-compatible service (``S3_ENDPOINT_URL``, ``S3_BUCKET``,
``S3_REGION``; credentials the standard AWS way: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
a profile, an instance role). Through aiobotocore, the maintained asyncio port of botocore.

An upload goes up in parts of 8 MiB (multipart past one part), so no more than one part of
it is in memory; S3 makes an object visible only when it is complete. Reads ask for the
range wanted and pass the body on in chunks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ezchat.config import Config
from ezchat.domain.errors import NotFound, StorageUnavailable

PART = 8 * 1024 * 1024
CHUNK = 256 * 1024
MISSING = {"NoSuchKey", "404", "NotFound"}


def _unavailable(exc: Exception) -> StorageUnavailable:
    return StorageUnavailable(f"file storage (S3) failed: {type(exc).__name__}")


class S3FileStore:
    def __init__(
        self, *, bucket: str, region: str, endpoint_url: str | None, timeout_s: float = 30.0
    ) -> None:
        self.bucket = bucket
        self._region = region
        self._endpoint = endpoint_url
        self._timeout_s = timeout_s
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None

    @classmethod
    def from_config(cls, config: Config) -> S3FileStore:
        assert config.s3_bucket
        return cls(
            bucket=config.s3_bucket, region=config.s3_region, endpoint_url=config.s3_endpoint_url
        )

    async def _s3(self) -> Any:
        if self._client is None:
            self._client = await self._stack.enter_async_context(
                get_session().create_client(
                    "s3",
                    region_name=self._region,
                    endpoint_url=self._endpoint,
                    config=BotoConfig(
                        connect_timeout=self._timeout_s,
                        read_timeout=self._timeout_s,
                        retries={"max_attempts": 3, "mode": "standard"},
                    ),
                )
            )
        return self._client

    async def aclose(self) -> None:
        await self._stack.aclose()
        self._client = None

    async def put(self, key: str, source: Path) -> None:
        try:
            s3 = await self._s3()
            with source.open("rb") as f:
                first = f.read(PART)
                rest = f.read(PART)
                if not rest:
                    await s3.put_object(Bucket=self.bucket, Key=key, Body=first)
                    return
                await self._multipart(s3, key, [first, rest], f)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None
        finally:
            source.unlink(missing_ok=True)

    async def _multipart(self, s3: Any, key: str, head: list[bytes], f: Any) -> None:
        upload = await s3.create_multipart_upload(Bucket=self.bucket, Key=key)
        upload_id = upload["UploadId"]
        parts = []
        try:
            number, pending = 1, head
            while pending:
                body = pending.pop(0)
                done = await s3.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
                )
                parts.append({"ETag": done["ETag"], "PartNumber": number})
                number += 1
                if not pending and (more := f.read(PART)):
                    pending.append(more)
            await s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            with contextlib.suppress(BotoCoreError, ClientError):
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        if end is not None and end <= start:
            return
        wanted = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            s3 = await self._s3()
            answer = await s3.get_object(Bucket=self.bucket, Key=key, Range=wanted)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                raise NotFound("file not found") from None
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                return
            raise _unavailable(exc) from None
        except BotoCoreError as exc:
            raise _unavailable(exc) from None
        body = answer["Body"]
        try:
            while chunk := await body.read(CHUNK):
                yield chunk
        except (BotoCoreError, ClientError, OSError) as exc:
            raise _unavailable(exc) from None
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        try:
            s3 = await self._s3()
            await s3.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from None

    async def exists(self, key: str) -> bool:
        try:
            s3 = await self._s3()
            await s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise _unavailable(exc) from None
        except BotoCoreError as exc:
            raise _unavailable(exc) from None
