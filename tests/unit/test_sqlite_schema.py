"""Schema versions: a database written by an older release upgrades at open with every row
intact; several processes opening it at once migrate it once; one newer than the code is
refused untouched."""

import asyncio
import sqlite3
from pathlib import Path

import pytest

from ezchat.adapters.sqlite import open_sqlite_stores, sqlite_stores
from ezchat.adapters.sqlite.schema import SCHEMA_VERSION
from ezchat.domain.errors import IncompatibleStorage, StorageUnavailable
from ezchat.domain.model import ContactState, Presence, Role
from ezchat.domain.search import SearchQuery, parse
from tests.support import present

pytestmark = pytest.mark.gen_test

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sqlite_v0.sql"


def old_database(path: Path, version: int = 0) -> Path:
    """Release 0.1.0's file (version 0); version 1 had the same tables, marked 1."""
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.execute(f"PRAGMA user_version = {version}")
    conn.close()
    return path


def version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("start", [0, 1])
async def test_an_older_database_upgrades_with_every_row_intact(tmp_path, start):
    path = old_database(tmp_path / "old.db", start)
    assert version(path) == start
    stores = await open_sqlite_stores(path)
    try:
        alice = present(await stores.users.get("u-alice"))
        assert (alice.username, alice.display_name, alice.avatar_url) == (
            "alice",
            "Alice A.",
            "https://img.example/a.png",
        )
        assert (
            alice.status is Presence.ONLINE and present(alice.last_seen).isoformat()[:4] == "2026"
        )
        assert present(await stores.users.credentials("u-bob")).password_hash.startswith("scrypt$")
        assert present(await stores.contacts.get("u-alice", "u-bob")).state is ContactState.ACCEPTED
        assert present(await stores.contacts.get("u-carol", "u-bob")).state is ContactState.BLOCKED
        direct = present(await stores.conversations.get("c-direct"))
        assert (direct.last_seq, direct.rev, direct.direct_key) == (3, 5, "u-alice:u-bob")
        bob = present(direct.member("u-bob"))
        assert (bob.read_seq, bob.delivered_seq, bob.pinned, bob.muted) == (1, 2, False, True)
        group = present(await stores.conversations.get("c-group"))
        assert (group.name, group.description, present(group.member("u-bob")).role) == (
            "Team",
            "the team",
            Role.ADMIN,
        )
        msgs, _ = await stores.messages.page("c-direct", before=None, after=None, limit=10)
        assert [m.id for m in msgs] == ["m-1", "m-2", "m-3"]
        first, second, third = msgs
        assert first.text == "hello 😀" and first.reactions == (("👍", ("u-bob",)),)
        assert first.attachments[0].name == "a.pdf" and first.attachments[0].size == 1234
        assert second.reply_to == "m-1" and second.edited_at is not None
        assert third.deleted and third.text == ""
        assert await stores.messages.get("c-direct", "m-2") == second
        # Step 6 built the full-text index from the stored messages.
        words, phrases = parse("edited")
        found, _ = await stores.messages.search(
            ["c-direct"], SearchQuery(words=words, phrases=phrases), 10
        )
        assert [m.id for m in found] == ["m-2"]
    finally:
        await stores.aclose()
    assert version(path) == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # FTS5's own check against the content table: raises when the index and messages disagree.
    conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
    conn.close()


async def test_processes_opening_an_old_database_at_once_migrate_it_once(tmp_path):
    path = old_database(tmp_path / "old.db")
    stores = [sqlite_stores(path) for _ in range(4)]
    try:
        await asyncio.gather(*(s.start() for s in stores))
    finally:
        await asyncio.gather(*(s.aclose() for s in stores))
    assert version(path) == SCHEMA_VERSION


async def test_a_database_newer_than_the_code_is_refused_and_left_untouched(tmp_path):
    path = old_database(tmp_path / "new.db")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    stores = sqlite_stores(path)
    with pytest.raises(StorageUnavailable) as err:
        await stores.start()
    await stores.aclose()
    assert isinstance(err.value.__cause__, IncompatibleStorage) or "newer" in err.value.message
    assert "newer than this EZChat" in err.value.message
    assert path.read_bytes() == before
