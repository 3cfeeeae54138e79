"""What each client frame type does: parse its payload, call a service, shape the ack. Each
action gets the services, the caller's id, the payload and a callback saying its place is
fixed; ``ChatSocket`` does the rest (ids, errors, replies)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ezchat.domain.commands import DeleteMessage, React
from ezchat.domain.errors import EzChatError, InvalidRequest
from ezchat.domain.rules import MAX_PAGE
from ezchat.domain.unset import Unset
from ezchat.entry import commands, serialize
from ezchat.entry.context import Services
from ezchat.entry.parse import Fields
from ezchat.entry.realtime import frames

MAX_SYNC_CONVERSATIONS = 1000

# Called by an action once the frame's place among the connection's later frames is fixed (a
# send, once group commit queued it: its seq then comes before theirs). The pipeline calls it
# anyway when the action ends.
Placed = Callable[[], None]
Action = Callable[[Services, str, Fields, Placed], Awaitable[Any]]


async def _send(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    command = commands.send_message(p, p.text("conversation_id"))
    send_at = p.optional_time("send_at")
    if send_at is not None:
        item, _ = await s.scheduled.schedule(uid, command, send_at)
        return {"scheduled": serialize.scheduled(item)}
    message, _ = await s.messages.send(uid, command, on_queued=placed)
    return frames.with_message(message, s.json)


async def _edit(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    command = commands.edit_message(p, p.text("conversation_id"), p.text("message_id"))
    message = await s.messages.edit(uid, command)
    return frames.with_message(message, s.json)


async def _delete(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    command = DeleteMessage(p.text("conversation_id"), p.text("message_id"))
    message = await s.messages.delete(uid, command)
    return frames.with_message(message, s.json)


async def _react(s: Services, uid: str, p: Fields, placed: Placed, *, add: bool) -> Any:
    command = React(p.text("conversation_id"), p.text("message_id"), p.text("emoji"), add=add)
    message = await s.messages.react(uid, command)
    return frames.with_message(message, s.json)


async def _reaction_add(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    return await _react(s, uid, p, placed, add=True)


async def _reaction_remove(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    return await _react(s, uid, p, placed, add=False)


async def _typing(s: Services, uid: str, p: Fields, placed: Placed) -> None:
    is_typing = p.optional_bool("is_typing")
    if is_typing is None:
        raise InvalidRequest("payload.is_typing is required", field="payload.is_typing")
    await s.typing.typing(uid, p.text("conversation_id"), is_typing)


async def _read(s: Services, uid: str, p: Fields, placed: Placed) -> None:
    await s.messages.mark_read(uid, p.text("conversation_id"), p.integer("seq"))


async def _delivered(s: Services, uid: str, p: Fields, placed: Placed) -> None:
    await s.messages.mark_delivered(uid, p.text("conversation_id"), p.integer("seq"))


async def _presence(s: Services, uid: str, p: Fields, placed: Placed) -> None:
    await s.presence.set_status(uid, p.text("status"))


async def _sync(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    wanted = p.object("conversations")
    assert wanted is not None
    if len(wanted.data) > MAX_SYNC_CONVERSATIONS:
        raise InvalidRequest(
            f"sync takes at most {MAX_SYNC_CONVERSATIONS} conversations",
            field="payload.conversations",
        )
    limit = p.optional_integer("limit", minimum=1)
    limit = MAX_PAGE if isinstance(limit, Unset) else min(limit, MAX_PAGE)
    revs = {cid: wanted.integer(cid) for cid in wanted.data}
    # Built as text from each message's memoised JSON: after a restart a crowd syncs the same
    # messages, and encoding each again for every client was most of what sync cost.
    parts = []
    for cid, rev in revs.items():
        try:
            messages, more, next_rev = await s.messages.changed_since(uid, cid, rev, limit)
        except EzChatError as exc:
            failed = {
                "messages": [],
                "rev": rev,
                "has_more": False,
                "error": {"code": exc.code, "message": exc.message},
            }
            parts.append(f"{serialize.dumps(cid)}:{serialize.dumps(failed)}")
            continue
        body = s.json.array(messages)
        has_more = "true" if more else "false"
        parts.append(
            f'{serialize.dumps(cid)}:{{"messages":{body},"rev":{next_rev},"has_more":{has_more}}}'
        )
    return frames.RawJson(f'{{"conversations":{{{",".join(parts)}}}}}')


async def _ping(s: Services, uid: str, p: Fields, placed: Placed) -> Any:
    return {"server_time": serialize.iso(s.clock.now())}


ACTIONS: dict[str, Action] = {
    "message.send": _send,
    "message.edit": _edit,
    "message.delete": _delete,
    "reaction.add": _reaction_add,
    "reaction.remove": _reaction_remove,
    "typing": _typing,
    "read": _read,
    "delivered": _delivered,
    "presence": _presence,
    "sync": _sync,
    "ping": _ping,
}
