"""The file service over the memory stores with a fake clock: the clean-up of uploads no
message carries, files going with their last message, the quota under concurrent uploads."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from ezchat.domain.commands import DeleteMessage, SendMessage
from ezchat.domain.errors import InvalidRequest, NotFound, QuotaExceeded
from ezchat.domain.messages import Attachment

pytestmark = pytest.mark.gen_test


async def put(world, tmp_path, owner: str, data: bytes = b"hello", name: str = "a.txt"):
    files = world.app.services.files
    spool = tmp_path / f"spool-{hashlib.sha256(data + name.encode()).hexdigest()[:8]}"
    spool.write_bytes(data)
    return await files.store(
        owner, name, spool, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def ref(file_id: str) -> tuple[Attachment, ...]:
    return (Attachment(url="", name="", mime_type="", size=0, file_id=file_id),)


async def test_uploads_no_message_carries_go_after_their_lifetime(world, tmp_path):
    files = world.app.services.files
    alice = await world.user("alice")
    bob = await world.user("bob")
    conv, _ = await world.conversations.open_direct(alice.id, bob.id)
    kept = await put(world, tmp_path, alice.id, b"kept")
    lost = await put(world, tmp_path, alice.id, b"lost")
    await world.messages.send(
        alice.id,
        SendMessage(
            conversation_id=conv.conversation.id, client_id="c", text="", attachments=ref(kept.id)
        ),
    )
    world.clock.advance(files.limits.orphan_ttl_s - 60)
    assert await files.sweep() == 0
    world.clock.advance(120)
    assert await files.sweep() == 1
    with pytest.raises(NotFound):
        await files.open(alice.id, lost.id)
    assert not await files.blobs.exists(lost.id)
    assert (await files.open(bob.id, kept.id)).id == kept.id


async def test_a_file_goes_with_the_last_message_that_carries_it(world, tmp_path):
    files = world.app.services.files
    alice = await world.user("alice")
    bob = await world.user("bob")
    cid = (await world.conversations.open_direct(alice.id, bob.id))[0].conversation.id
    f = await put(world, tmp_path, alice.id, b"twice")
    m1, _ = await world.messages.send(alice.id, SendMessage(cid, "c1", "", ref(f.id)))
    m2, _ = await world.messages.send(alice.id, SendMessage(cid, "c2", "", ref(f.id)))
    world.clock.advance(600)  # past the grace after attaching
    await world.messages.delete(alice.id, DeleteMessage(cid, m1.id))
    assert (await files.open(bob.id, f.id)).id == f.id  # m2 still carries it
    await world.messages.delete(alice.id, DeleteMessage(cid, m2.id))
    with pytest.raises(NotFound):
        await files.open(alice.id, f.id)
    assert await files.sweep() == 0


async def test_only_the_uploader_may_attach_and_members_may_open(world, tmp_path):
    files = world.app.services.files
    alice, bob, carol = [await world.user(n) for n in ("alice", "bob", "carol")]
    cid = (await world.conversations.open_direct(alice.id, bob.id))[0].conversation.id
    f = await put(world, tmp_path, alice.id)
    with pytest.raises(InvalidRequest):
        await world.messages.send(bob.id, SendMessage(cid, "b1", "", ref(f.id)))
    with pytest.raises(NotFound):
        await files.open(bob.id, f.id)
    m, _ = await world.messages.send(alice.id, SendMessage(cid, "a1", "look", ref(f.id)))
    assert m.attachments[0].file_id == f.id and m.attachments[0].size == 5
    assert (await files.open(bob.id, f.id)).id == f.id
    with pytest.raises(NotFound):
        await files.open(carol.id, f.id)


async def test_concurrent_uploads_never_pass_the_quota_together(world, tmp_path):
    files = world.app.services.files
    alice = await world.user("alice")
    quota = files.limits.quota_bytes
    chunk = b"x" * 1000
    object.__setattr__(files.limits, "quota_bytes", 4500)
    try:
        results = await asyncio.gather(
            *(put(world, tmp_path, alice.id, chunk, f"{i}.bin") for i in range(10)),
            return_exceptions=True,
        )
    finally:
        object.__setattr__(files.limits, "quota_bytes", quota)
    stored = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(stored) == 4 and len(refused) == 6
