"""Writing one user's data as a zip, in bounded memory: messages are read ``PAGE`` at a time
and streamed into the archive as they come, files copied chunk by chunk.

    profile.json                      the account as its owner sees it
    contacts.json                     their contacts (accepted, requests, blocks)
    conversations/<id>.json           {"conversation": {...}, "messages": [...]}: in a direct
                                      conversation every message that stands, in a group the
                                      ones they sent (groups they left included)
    files/<file id>/<name>            the files they uploaded that their messages carry

Deleted messages are not exported (nothing of them is left)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ezchat.domain.errors import NotFound
from ezchat.domain.messages import Message, file_ids_of
from ezchat.domain.model import Conversation, ConversationType, User
from ezchat.ports.files import FileRecordStore, FileStore
from ezchat.ports.storage import ContactStore, ConversationStore, MessageStore, UserStore
from ezchat.ports.sweeps import SweepStore

PAGE = 500
_END = 2**62


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "seq": m.seq,
        "sender_id": m.sender_id,
        "text": m.text,
        "created_at": _time(m.created_at),
        "edited_at": _time(m.edited_at),
        "reply_to": m.reply_to,
        "thread_root": m.thread_root,
        "attachments": [
            {"name": a.name, "mime_type": a.mime_type, "size": a.size, "file_id": a.file_id}
            | ({} if a.file_id else {"url": a.url})
            for a in m.attachments
        ],
    }


def _profile(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "avatar_url": u.avatar_url,
        "created_at": _time(u.created_at),
        "last_seen": _time(u.last_seen),
        "external_id": u.external_id,
        "role": "admin" if u.admin else "user",
    }


def _conversation(c: Conversation | None, conversation_id: str) -> dict[str, Any]:
    if c is None:
        return {"id": conversation_id}
    return {
        "id": c.id,
        "type": c.type.value,
        "name": c.name,
        "created_at": _time(c.created_at),
        "members": [m.user_id for m in c.members],
    }


class ExportWriter:
    def __init__(
        self,
        *,
        users: UserStore,
        contacts: ContactStore,
        conversations: ConversationStore,
        messages: MessageStore,
        sweeps: SweepStore,
        records: FileRecordStore,
        blobs: FileStore,
    ) -> None:
        self._users = users
        self._contacts = contacts
        self._conversations = conversations
        self._messages = messages
        self._sweeps = sweeps
        self._records = records
        self._blobs = blobs

    async def write(self, user_id: str, path: Path) -> None:
        """The zip of ``user_id``'s data, at ``path``. Raises ``NotFound`` for no such user."""
        user = await self._users.get(user_id)
        if user is None:
            raise NotFound("user not found")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr("profile.json", json.dumps(_profile(user), indent=1))
            await self._write_contacts(zf, user_id)
            files: set[str] = set()
            direct = await self._direct_ids(user_id)
            await self._write_sent(zf, user_id, skip=direct, files=files)
            for conversation_id in sorted(direct):
                await self._write_direct(zf, user_id, conversation_id, files)
            for file_id in sorted(files):
                await self._write_file(zf, user_id, file_id)

    async def _write_contacts(self, zf: zipfile.ZipFile, user_id: str) -> None:
        contacts = await self._contacts.list(user_id)
        people = await self._users.get_many([c.user_id for c in contacts])
        out = [
            {
                "user_id": c.user_id,
                "username": people[c.user_id].username if c.user_id in people else None,
                "state": c.state.value,
                "since": _time(c.since),
            }
            for c in contacts
        ]
        zf.writestr("contacts.json", json.dumps(out, indent=1))

    async def _direct_ids(self, user_id: str) -> set[str]:
        out = set()
        for conversation_id in await self._conversations.ids_for_user(user_id):
            conv = await self._conversations.get(conversation_id)
            if conv is not None and conv.type is ConversationType.DIRECT:
                out.add(conversation_id)
        return out

    async def _write_sent(
        self, zf: zipfile.ZipFile, user_id: str, *, skip: set[str], files: set[str]
    ) -> None:
        """The groups' messages the user sent: one pass over them in (conversation, seq)
        order, a file per conversation."""
        after: tuple[str, int] | None = None
        current: str | None = None
        sink: _JsonList | None = None
        try:
            while page := await self._sweeps.by_sender(user_id, after=after, limit=PAGE):
                after = (page[-1].conversation_id, page[-1].seq)
                for conversation_id, run in _runs(page):
                    if conversation_id in skip:  # written whole later: jump past it
                        after = (conversation_id, _END)
                        break
                    if sink is None or conversation_id != current:
                        if sink is not None:
                            sink.close()
                        current = conversation_id
                        sink = await self._open(zf, current)
                    files.update(f for m in run for f in file_ids_of(m.attachments))
                    sink.add_all(_message(m) for m in run)
        finally:
            if sink is not None:
                sink.close()

    async def _write_direct(
        self, zf: zipfile.ZipFile, user_id: str, conversation_id: str, files: set[str]
    ) -> None:
        sink = await self._open(zf, conversation_id)
        try:
            after = 0
            while True:
                page, more = await self._messages.page(
                    conversation_id, before=None, after=after, limit=PAGE
                )
                standing = [m for m in page if not m.deleted]
                sink.add_all(_message(m) for m in standing)
                files.update(f for m in standing if m.sender_id == user_id
                             for f in file_ids_of(m.attachments))  # fmt: skip
                if not more or not page:
                    return
                after = page[-1].seq
        finally:
            sink.close()

    async def _open(self, zf: zipfile.ZipFile, conversation_id: str) -> _JsonList:
        head = _conversation(await self._conversations.get(conversation_id), conversation_id)
        stream = zf.open(f"conversations/{conversation_id}.json", "w", force_zip64=True)
        return _JsonList(stream, '{"conversation": ' + json.dumps(head) + ', "messages": [\n')

    async def _write_file(self, zf: zipfile.ZipFile, user_id: str, file_id: str) -> None:
        record = await self._records.get(file_id)
        if record is None or record.owner_id != user_id:
            return  # someone else's (forwarded to them), or gone
        name = record.name.replace("/", "_").replace("\\", "_").strip(". ") or "file"
        with zf.open(f"files/{file_id}/{name}", "w", force_zip64=True) as out:
            async for chunk in self._blobs.read(file_id):
                out.write(chunk)


def _runs(page: list[Message]) -> list[tuple[str, list[Message]]]:
    """The page cut where the conversation changes."""
    out: list[tuple[str, list[Message]]] = []
    for m in page:
        if not out or out[-1][0] != m.conversation_id:
            out.append((m.conversation_id, []))
        out[-1][1].append(m)
    return out


class _JsonList:
    """A JSON document whose list is written one item at a time."""

    def __init__(self, stream: IO[bytes], head: str) -> None:
        self._stream = stream
        self._first = True
        stream.write(head.encode())

    def add_all(self, items: Iterable[dict[str, Any]]) -> None:
        """One write per call (a page), not per item."""
        listed = list(items)
        if not listed:
            return
        sep = "" if self._first else ",\n"
        self._first = False
        text = json.dumps(listed, ensure_ascii=False, separators=(",", ":"))
        self._stream.write((sep + text[1:-1]).encode())

    def close(self) -> None:
        if not self._stream.closed:
            self._stream.write(b"\n]}\n")
            self._stream.close()
