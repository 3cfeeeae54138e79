"""An export of a user with 100k messages is written in bounded memory: what it holds at
once is a page of messages and the zip's buffers, never the whole history (issue 28)."""

from __future__ import annotations

import tracemalloc
import zipfile
from datetime import UTC, datetime

import pytest

from ezchat.adapters.files.memory import MemoryFileStore
from ezchat.adapters.memory import MemoryDatabase, memory_stores
from ezchat.domain.messages import NewMessage
from ezchat.services.export_zip import ExportWriter
from tests.contract.builders import direct, group, user

MESSAGES = 100_000
TEXT = "x" * 300


async def _export(tmp_path) -> tuple[int, int]:
    db = MemoryDatabase()
    stores = memory_stores(db)
    ann, creds = user("ann")
    await stores.users.add(ann, creds)
    team, pair = group(ann.id, "ben"), direct(ann.id, "ben")
    for conv in (team, pair):
        await stores.conversations.add(conv)
    now = datetime.now(UTC)
    for conv in (team, pair):  # the timelines filled at once (adding one by one takes long)
        timeline = db.timelines[conv.id]
        for seq in range(1, MESSAGES // 2 + 1):
            new = NewMessage(
                conversation_id=conv.id, sender_id=ann.id, client_id=f"{conv.id}{seq}",
                text=TEXT, attachments=(), reply_to=None, created_at=now,
            )  # fmt: skip
            timeline.by_id[str(seq)] = len(timeline.messages)
            timeline.messages.append(new.stored(id=str(seq), seq=seq, rev=seq))
            timeline.seqs.append(seq)
    writer = ExportWriter(
        users=stores.users, contacts=stores.contacts, conversations=stores.conversations,
        messages=stores.messages, sweeps=stores.sweeps, records=stores.files,
        blobs=MemoryFileStore(),
    )  # fmt: skip
    out = tmp_path / "export.zip"
    tracemalloc.start()
    try:
        await writer.write(ann.id, out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(out) as zf:
        written = sum(i.file_size for i in zf.infolist())
    return peak, written


@pytest.mark.gen_test(timeout=120)
async def test_an_export_of_100k_messages_holds_a_page_not_the_history(tmp_path):
    peak, written = await _export(tmp_path)
    assert written > 35_000_000  # the messages' JSON, uncompressed
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB while writing {written / 1e6:.0f} MB"
