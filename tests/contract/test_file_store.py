"""File records (every store) and which standing messages carry a file; the bytes' stores
(memory, local disk, S3 through moto's server) behind the one ``FileStore`` contract."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path

import pytest

from ezchat.domain.errors import NotFound
from ezchat.domain.files import StoredFile
from ezchat.domain.messages import Attachment
from tests.contract.builders import at, group, new_message

pytestmark = pytest.mark.gen_test


def record(file_id: str, owner: str = "a", size: int = 10, created_s: float = 0) -> StoredFile:
    return StoredFile(
        id=file_id,
        owner_id=owner,
        name=f"{file_id}.bin",
        mime_type="application/octet-stream",
        size=size,
        sha256="0" * 64,
        created_at=at(created_s),
    )


def carrying(file_id: str) -> tuple[Attachment, ...]:
    return (Attachment(f"/api/files/{file_id}", "f", "image/png", 3, file_id, 4, 5, True),)


async def test_a_record_is_kept_as_given_and_counts_for_its_owner(stores):
    image = replace(record("f" * 32, size=100), width=4, height=5, thumbnail_type="image/png")
    await stores.files.add(image, quota_bytes=10**9)
    await stores.files.add(record("e" * 32, size=11), quota_bytes=10**9)
    await stores.files.add(record("d" * 32, owner="b", size=7), quota_bytes=10**9)
    assert await stores.files.get("f" * 32) == image
    assert await stores.files.get("none") is None
    assert await stores.files.used_bytes("a") == 111
    assert await stores.files.used_bytes("nobody") == 0


async def test_touch_guards_a_file_from_the_conditional_delete(stores):
    await stores.files.add(record("f" * 32), quota_bytes=10**9)
    assert await stores.files.touch("f" * 32, 1000.0)
    assert not await stores.files.touch("missing", 1000.0)
    assert not await stores.files.delete_if_idle("f" * 32, attached_before=1000.0)
    assert await stores.files.get("f" * 32) is not None
    assert await stores.files.delete_if_idle("f" * 32, attached_before=1000.5)
    assert await stores.files.get("f" * 32) is None
    assert not await stores.files.delete_if_idle("f" * 32, attached_before=2000.0)


async def test_idle_lists_old_files_not_attached_since_oldest_first(stores):
    await stores.files.add(record("c" * 32, created_s=30), quota_bytes=10**9)
    await stores.files.add(record("a" * 32, created_s=10), quota_bytes=10**9)
    await stores.files.add(record("b" * 32, created_s=20), quota_bytes=10**9)
    await stores.files.add(record("d" * 32, created_s=500), quota_bytes=10**9)
    await stores.files.touch("b" * 32, at(400).timestamp())
    found = await stores.files.idle(at(100).timestamp(), limit=10)
    assert [f.id for f in found] == ["a" * 32, "c" * 32]
    assert [f.id for f in await stores.files.idle(at(100).timestamp(), limit=1)] == ["a" * 32]


async def test_the_conversations_where_a_standing_message_carries_a_file(stores):
    c1, c2 = group("a", "b", name="one"), group("a", "c", name="two")
    await stores.conversations.add(c1)
    await stores.conversations.add(c2)
    fid = "f" * 32
    assert await stores.messages.conversations_with_file(fid) == []
    m1, _ = await stores.messages.add(new_message(c1.id, "a", "", attachments=carrying(fid)))
    m2, _ = await stores.messages.add(new_message(c2.id, "a", "", attachments=carrying(fid)))
    await stores.messages.add(new_message(c2.id, "a", "plain"))
    assert await stores.messages.conversations_with_file(fid) == sorted([c1.id, c2.id])
    assert (await stores.messages.get(c1.id, m1.id)).attachments == carrying(fid)
    await stores.messages.replace(m1.tombstone(), expected_rev=m1.rev)
    assert await stores.messages.conversations_with_file(fid) == [c2.id]
    await stores.conversations.delete(c2.id)
    assert await stores.messages.conversations_with_file(fid) == []


async def test_concurrent_uploads_never_pass_the_quota_together(stores):
    added = await asyncio.gather(
        *(stores.files.add(record(f"{i:032x}", size=3), quota_bytes=100) for i in range(40))
    )
    assert added.count(True) == 33 and await stores.files.used_bytes("a") == 99
    await stores.files.add(record("b" * 32, owner="b", size=100), quota_bytes=100)
    assert await stores.files.used_bytes("b") == 100


async def test_a_deleted_file_no_longer_counts(stores):
    await stores.files.add(record("f" * 32, size=60), quota_bytes=100)
    assert not await stores.files.add(record("e" * 32, size=60), quota_bytes=100)
    assert await stores.files.delete_if_idle("f" * 32, attached_before=1.0)
    assert await stores.files.add(record("e" * 32, size=60), quota_bytes=100)
    assert await stores.files.used_bytes("a") == 60


# -- the bytes ------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "local", "s3"])
def blobs(request, tmp_path, io_loop):
    if request.param == "memory":
        from ezchat.adapters.files.memory import MemoryFileStore

        yield MemoryFileStore()
    elif request.param == "local":
        from ezchat.adapters.files.local import LocalFileStore

        store = LocalFileStore(tmp_path / "files")
        store.prepare()
        yield store
    else:
        s3 = request.getfixturevalue("s3_bucket")
        yield s3
        io_loop.run_sync(s3.aclose)


def spooled(tmp_path: Path, data: bytes, name: str = "up") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


async def read_all(blobs, key, start=0, end=None) -> bytes:
    return b"".join([c async for c in blobs.read(key, start, end)])


async def test_bytes_go_in_whole_and_come_out_by_range(blobs, tmp_path):
    data = os.urandom(600_000)
    key = "a" * 32
    src = spooled(tmp_path, data)
    await blobs.put(key, src)
    assert not src.exists(), "the spooled upload is consumed"
    assert await blobs.exists(key)
    assert await read_all(blobs, key) == data
    assert await read_all(blobs, key, 10, 20) == data[10:20]
    assert await read_all(blobs, key, 599_990) == data[599_990:]
    assert await read_all(blobs, key, 5, 5) == b""
    await blobs.put(key + ".thumb", spooled(tmp_path, b"small", "t"))
    assert await read_all(blobs, key + ".thumb") == b"small"
    await blobs.delete(key)
    assert not await blobs.exists(key)
    await blobs.delete(key)  # again: no error
    with pytest.raises(NotFound):
        await read_all(blobs, key)


async def test_a_large_object_goes_up_in_parts(blobs, tmp_path):
    data = os.urandom(9 * 1024 * 1024 + 17)  # more than one 8 MiB part on S3
    await blobs.put("b" * 32, spooled(tmp_path, data))
    assert await read_all(blobs, "b" * 32) == data


async def test_local_files_are_private_and_leftovers_of_a_crash_go(tmp_path):
    from ezchat.adapters.files.local import LocalFileStore

    store = LocalFileStore(tmp_path / "files")
    store.prepare()
    (store.spool / "upload-half").write_bytes(b"half")
    await store.put("c" * 32, spooled(tmp_path, b"x"))
    path = store.path_of("c" * 32)
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "files").stat().st_mode & 0o777 == 0o700
    store.prepare()  # a restart
    assert not (store.spool / "upload-half").exists()
    with pytest.raises(ValueError):
        store.path_of("../../etc/passwd")
