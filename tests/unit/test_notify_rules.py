"""Who is told of a message they are not looking at (the rules alone, on plain values)."""

from dataclasses import replace

import pytest

from ezchat.domain.messages import Message
from ezchat.domain.model import ConversationType, Member, NotifyLevel, Role
from ezchat.domain.notify import level_of, wants
from tests.contract.builders import at

DIRECT, GROUP = ConversationType.DIRECT, ConversationType.GROUP
BOB = Member(user_id="bob", role=Role.MEMBER, joined_at=at(0))


def message(*, sender="alice", mentions=(), deleted=False, seq=5) -> Message:
    return Message(
        id="m",
        conversation_id="c",
        seq=seq,
        rev=seq,
        client_id="k",
        sender_id=sender,
        text="hi",
        created_at=at(1),
        mentions=mentions,
        deleted=deleted,
    )


def test_the_default_is_everything_in_direct_and_mentions_in_groups():
    assert level_of(BOB, DIRECT) is NotifyLevel.ALL
    assert level_of(BOB, GROUP) is NotifyLevel.MENTIONS
    assert level_of(replace(BOB, notify=NotifyLevel.NONE), DIRECT) is NotifyLevel.NONE


@pytest.mark.parametrize(
    ("level", "muted", "mentioned", "told"),
    [
        (NotifyLevel.ALL, False, False, True),
        (NotifyLevel.ALL, True, False, False),  # muted: only mentions get through
        (NotifyLevel.ALL, True, True, True),
        (NotifyLevel.MENTIONS, False, False, False),
        (NotifyLevel.MENTIONS, False, True, True),
        (NotifyLevel.MENTIONS, True, True, True),
        (NotifyLevel.NONE, False, True, False),
    ],
)
def test_levels_mutes_and_mentions(level, muted, mentioned, told):
    bob = replace(BOB, notify=level, muted=muted)
    assert wants(bob, GROUP, message(mentions=("bob",) if mentioned else ())) is told


def test_ones_own_and_deleted_messages_tell_no_one():
    assert not wants(BOB, DIRECT, message(sender="bob"))
    assert not wants(BOB, DIRECT, message(deleted=True))
