"""Which conversations a process follows: exactly those of its connected users, whatever order
connections, membership changes and slow subscriptions come in; and a conversation followed
after a membership change gets the messages of the gap, each once, in order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    MemberAdded,
    MemberRemoved,
    MessagePosted,
)
from ezchat.domain.messages import Message
from ezchat.domain.model import Conversation, ConversationType
from ezchat.entry.realtime.interest import Interest
from ezchat.entry.realtime.tasks import Tasks

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Bus:
    """What a routed bus is asked: the conversations wanted; following can be held up."""

    routed = True

    def __init__(self) -> None:
        self.wanted: set[str] = set()
        self.gate = asyncio.Event()
        self.gate.set()

    async def follow(self, conversation_ids: Iterable[str]) -> None:
        self.wanted.update(conversation_ids)
        await self.gate.wait()

    def unfollow(self, conversation_ids: Iterable[str]) -> None:
        self.wanted.difference_update(conversation_ids)


def message(cid: str, seq: int) -> Message:
    return Message(
        id=f"{cid}-{seq}",
        conversation_id=cid,
        seq=seq,
        rev=seq,
        client_id=str(seq),
        sender_id="alice",
        text=f"m{seq}",
        created_at=NOW,
    )


def posted(cid: str, seq: int, *recipients: str) -> MessagePosted:
    return MessagePosted(recipients=frozenset(recipients), message=message(cid, seq))


class World:
    """Stored membership, a bus, and the interest tracker under test."""

    def __init__(self) -> None:
        self.members: dict[str, set[str]] = {}
        self.connected: dict[str, int] = {}  # user -> connections
        self.stored: dict[str, list[Message]] = {}
        self.bus = Bus()
        self.delivered: list[MessagePosted] = []
        self.forgotten: list[str] = []
        self.tasks = Tasks()
        self.interest = Interest(
            bus=self.bus,  # type: ignore[arg-type]
            conversations_of=self.conversations_of,
            catch_up=self.catch_up,
            deliver=self.delivered.append,
            forget=self.forgotten.append,
            tasks=self.tasks,
            connected_here=self.connected.__contains__,
        )

    async def conversations_of(self, user_id: str) -> list[str]:
        await asyncio.sleep(0)  # a read takes time: events may come meanwhile
        found = [c for c, users in self.members.items() if user_id in users]
        await asyncio.sleep(0)
        return found

    async def catch_up(self, cid: str, since: int) -> list[Message]:
        await asyncio.sleep(0)
        return [m for m in self.stored.get(cid, []) if m.seq > since]

    def conversation(self, cid: str) -> Conversation:
        return Conversation(
            id=cid, type=ConversationType.GROUP, created_by="alice", created_at=NOW, members=()
        )


@pytest.mark.gen_test
async def test_a_conversation_joined_while_its_subscription_is_pending_loses_nothing():
    w = World()
    w.connected["bob"] = 1
    await w.interest.connected("bob")
    w.bus.gate.clear()  # the subscription takes a while
    w.members["c1"] = {"alice", "bob"}
    w.stored["c1"] = [message("c1", 1), message("c1", 2)]
    w.interest.on_event(
        MemberAdded(
            recipients=frozenset({"alice", "bob"}), conversation_id="c1", user_id="bob", since_seq=1
        )
    )
    await asyncio.sleep(0)
    assert w.bus.wanted == {"c1"}
    # Seq 2 was sent before the subscription held: it is only in the store. Seq 3 is sent
    # once it holds, so it is both heard and read back: delivered once.
    w.stored["c1"].append(message("c1", 3))
    assert w.interest.hold(posted("c1", 3, "alice", "bob"))
    assert w.delivered == []
    w.bus.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert [(e.message.seq, sorted(e.recipients)) for e in w.delivered] == [
        (2, ["bob"]),  # read back: for the members here
        (3, ["alice", "bob"]),  # as heard
    ]
    assert not w.interest.hold(posted("c1", 4, "bob"))  # caught up: messages go straight on
    await w.tasks.aclose()


@pytest.mark.gen_test
async def test_a_conversation_left_while_its_subscription_is_pending_is_unfollowed():
    w = World()
    w.connected["bob"] = 1
    await w.interest.connected("bob")
    w.bus.gate.clear()
    w.members["c1"] = {"bob"}
    conv = w.conversation("c1")
    w.interest.on_event(ConversationCreated(recipients=frozenset({"bob"}), conversation=conv))
    w.interest.on_event(
        MemberRemoved(recipients=frozenset({"bob"}), conversation_id="c1", user_id="bob")
    )
    w.bus.gate.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert w.bus.wanted == set() and w.interest.followed == 0
    assert set(w.forgotten) == {"c1"}  # its message order starts again when heard again
    await w.tasks.aclose()


USERS = ["u0", "u1", "u2"]
CONVS = ["c0", "c1", "c2"]
OPS = st.one_of(
    st.tuples(st.just("connect"), st.sampled_from(USERS)),
    st.tuples(st.just("disconnect"), st.sampled_from(USERS)),
    st.tuples(st.just("add"), st.sampled_from(USERS), st.sampled_from(CONVS)),
    st.tuples(st.just("remove"), st.sampled_from(USERS), st.sampled_from(CONVS)),
    st.tuples(st.just("delete"), st.sampled_from(CONVS)),
    st.tuples(st.just("yield"), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(OPS, max_size=40))
def test_the_followed_conversations_are_those_of_the_connected_users(ops):
    """Connections (whose conversation lists load slowly), joins, leaves and deletions in any
    interleaving: once all is done, the bus follows exactly the conversations with a member
    connected here."""

    async def run() -> None:
        w = World()
        connected = w.connected
        pending = []
        for op in ops:
            kind = op[0]
            if kind == "connect":
                connected[op[1]] = connected.get(op[1], 0) + 1
                pending.append(asyncio.ensure_future(w.interest.connected(op[1])))
            elif kind == "disconnect" and connected.get(op[1]):
                connected[op[1]] -= 1
                if not connected[op[1]]:
                    del connected[op[1]]
                    w.interest.disconnected(op[1])
            elif kind == "add":
                _, user, cid = op
                users = w.members.setdefault(cid, set())
                if user in users:
                    continue
                created = not users
                users.add(user)
                if created:
                    w.interest.on_event(
                        ConversationCreated(
                            recipients=frozenset(users), conversation=w.conversation(cid)
                        )
                    )
                else:
                    w.interest.on_event(
                        MemberAdded(recipients=frozenset(users), conversation_id=cid, user_id=user)
                    )
            elif kind == "remove":
                _, user, cid = op
                users = w.members.get(cid, set())
                if user in users:
                    w.interest.on_event(
                        MemberRemoved(
                            recipients=frozenset(users), conversation_id=cid, user_id=user
                        )
                    )
                    users.discard(user)
            elif kind == "delete" and w.members.get(op[1]):
                users = w.members.pop(op[1])
                w.interest.on_event(
                    ConversationDeleted(
                        recipients=frozenset(users), conversation=w.conversation(op[1])
                    )
                )
            elif kind == "yield":
                for _ in range(op[1]):
                    await asyncio.sleep(0)
        await asyncio.gather(*pending)
        for _ in range(20):
            await asyncio.sleep(0)
        expected = {c for c, users in w.members.items() if users & connected.keys()}
        assert w.bus.wanted == expected, ops
        assert w.interest.followed == len(expected)
        for user in connected:
            mine = {c for c, users in w.members.items() if user in users}
            assert w.interest.conversations(user) == mine
        await w.tasks.aclose()

    loop = asyncio.new_event_loop()  # not asyncio.run: it leaves pytest-tornado's loop behind
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
