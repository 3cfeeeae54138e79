"""Opening a SQLite database: several openers at once, file modes, and the repair of values
an older version could store."""

import asyncio
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from ezchat.adapters.sqlite import open_sqlite_stores, sqlite_stores
from ezchat.entry import serialize
from tests.support import present

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sqlite_v0.sql"

pytestmark = pytest.mark.gen_test


async def test_openers_racing_on_a_new_file_all_start(tmp_path):
    # Each opener has its own connection, as separate processes do; switching a new file to
    # WAL while another connection does the same used to fail with "database is locked".
    for round_ in range(15):
        path = tmp_path / f"race-{round_}.db"
        stores = [sqlite_stores(path) for _ in range(4)]
        try:
            await asyncio.gather(*(s.start() for s in stores))
        finally:
            await asyncio.gather(*(s.aclose() for s in stores))


async def test_the_data_directory_and_database_files_are_for_the_owner_only(tmp_path):
    path = tmp_path / "data" / "ezchat.db"
    stores = await open_sqlite_stores(path)
    try:
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for f in path.parent.iterdir():
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    finally:
        await stores.aclose()


async def test_an_existing_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    stores = await open_sqlite_stores(path)
    await stores.aclose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_lone_surrogates_an_older_version_stored_are_repaired_and_never_fail_a_read(
    tmp_path,
):
    # A database as release 0.1.0 wrote it, holding what it let through: a reaction "\ud800"
    # and an attachment named "f\udfff".
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.execute(
        "UPDATE messages SET reactions = ?, attachments = ? WHERE id = 'm-1'",
        (
            json.dumps([["\ud800", ["b"]]]),
            json.dumps([{"url": "https://x/f", "name": "f\udfff", "mime_type": "t", "size": 1}]),
        ),
    )
    conn.commit()
    conn.close()
    conv_id, message_id = "c-direct", "m-1"

    stores = await open_sqlite_stores(path)
    try:
        stored = present(await stores.messages.get(conv_id, message_id))
        assert stored.reactions == (("\ufffd", ("b",)),)
        assert stored.attachments[0].name == "f\ufffd"
        serialize.dumps(serialize.message(stored)).encode("utf-8")
    finally:
        await stores.aclose()
    raw = (
        sqlite3.connect(path)
        .execute("SELECT reactions FROM messages WHERE id = 'm-1'")
        .fetchone()[0]
    )
    assert json.loads(raw) == [["\ufffd", ["b"]]]


def test_the_serializer_never_fails_on_a_lone_surrogate():
    text = serialize.dumps({"emoji": "\ud800", "ok": "é"})
    assert json.loads(text) == {"emoji": "\ud800", "ok": "é"}
    text.encode("utf-8")
