"""The wire codec between processes decodes every event the domain can publish: each class an
event can carry, at any depth, is on its allowlist (a class moved to a new domain module must
not silently stop crossing processes), and events round-trip whole."""

import dataclasses
import types
import typing
from datetime import UTC, datetime
from enum import Enum

import pytest

from ezchat.adapters.redis.codec import ALLOWED, decode, encode
from ezchat.domain import events
from ezchat.domain.access import Revocation
from ezchat.domain.messages import Attachment, Message
from tests.contract.builders import group, user


def _reachable(tp, seen):
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, Enum)):
        if tp in seen:
            return
        seen.add(tp)
        if dataclasses.is_dataclass(tp):
            for hint in typing.get_type_hints(tp).values():
                _reachable(hint, seen)
        return
    for arg in typing.get_args(tp):
        if arg is not Ellipsis and arg is not types.NoneType:
            _reachable(arg, seen)


def event_classes():
    return [
        c
        for c in vars(events).values()
        if isinstance(c, type) and issubclass(c, events.Event) and c is not events.Event
    ]


def test_every_class_an_event_carries_is_allowed():
    seen: set[type] = set()
    for cls in event_classes():
        _reachable(cls, seen)
    assert sorted(c.__name__ for c in seen if ALLOWED.get(c.__name__) is not c) == []


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MESSAGE = Message(
    id="m1",
    conversation_id="c1",
    seq=3,
    rev=4,
    client_id="k",
    sender_id="u1",
    text="hi",
    attachments=(
        Attachment(url="https://x.example/a.png", name="a", mime_type="image/png", size=1),
    ),
    reply_to=None,
    created_at=NOW,
)


@pytest.mark.parametrize(
    "event",
    [
        events.MessagePosted(recipients=frozenset({"u1", "u2"}), message=MESSAGE),
        events.ConversationCreated(recipients=frozenset({"u1"}), conversation=group("u1", "u2")),
        events.PresenceChanged(recipients=frozenset({"u2"}), user=user("alice")[0]),
        events.AccessRevoked(
            recipients=frozenset({"u1"}),
            revocation=Revocation(id="r1", user_id="u1", at=1.5, expires_at=9.5, token_id="t1"),
        ),
    ],
    ids=lambda e: type(e).__name__,
)
def test_events_round_trip(event):
    origin, back = decode(encode("node-a", event))
    assert origin == "node-a" and back == event
