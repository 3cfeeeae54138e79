"""Mention parsing: members only, punctuation, e-mail-like text, @all and @here."""

import pytest

from ezchat.domain.commands import DeleteMessage, EditMessage, SendMessage
from ezchat.domain.mentions import find_mentions

MEMBERS = {"bob": "u-bob", "carol.x": "u-carol", "dan-": "u-dan", "eve": "u-eve"}


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("hi @bob", {"u-bob"}),
        ("@Bob, look", {"u-bob"}),  # case-insensitive, comma ends it
        ("see you @bob.", {"u-bob"}),  # a sentence's dot is let go
        ("@carol.x and @eve!", {"u-carol", "u-eve"}),
        ("@dan- is a name that ends in a dash", {"u-dan"}),
        ("write to bob@example.com", set()),  # e-mail-like: nobody
        ("@@bob", set()),
        ("x.@bob", set()),
        ("@mallory is not a member", set()),
        ("@bo is too short", set()),
        ("(@bob)", {"u-bob"}),
        ("", set()),
    ],
)
def test_mentions_name_members_only(text, ids):
    assert set(find_mentions(text, MEMBERS).user_ids) == ids


def test_all_and_here_are_flags_unless_a_member_has_that_name():
    found = find_mentions("@all and @here, @bob", MEMBERS)
    assert found.everyone and found.present and found.user_ids == {"u-bob"}
    assert not find_mentions("@allison", MEMBERS).everyone
    named = find_mentions("@all", {"all": "u-all"})
    assert named.user_ids == {"u-all"} and not named.everyone


async def group_of(world, admin, *others):
    view = await world.conversations.create_group(
        admin.id, name="g", member_ids=[u.id for u in others]
    )
    return view.conversation.id


@pytest.mark.gen_test
async def test_a_message_carries_the_members_it_mentions_and_edits_recompute_them(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    outsider = await world.user("mallory")
    cid = await group_of(world, a, b, c)
    m, _ = await world.messages.send(
        b.id, SendMessage(cid, client_id="1", text="@alice and @mallory, @bob: hi")
    )
    assert m.mentions == (a.id,)  # not the sender, not a non-member
    assert outsider.id not in m.mentions
    edited = await world.messages.edit(b.id, EditMessage(cid, m.id, "now @carol"))
    assert edited.mentions == (c.id,)
    view = await world.conversations.get(c.id, cid)
    assert (view.unread_count, view.mention_count) == (1, 1)
    assert (await world.conversations.get(a.id, cid)).mention_count == 0


@pytest.mark.gen_test
async def test_all_and_here_mention_everyone_from_an_admin_only(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    cid = await group_of(world, a, b, c)
    by_member, _ = await world.messages.send(b.id, SendMessage(cid, client_id="1", text="@all"))
    assert by_member.mentions == ()
    by_admin, _ = await world.messages.send(a.id, SendMessage(cid, client_id="2", text="@all"))
    assert set(by_admin.mentions) == {b.id, c.id}
    await world.app.services.presence.set_status(c.id, "online")
    here, _ = await world.messages.send(a.id, SendMessage(cid, client_id="3", text="@here"))
    assert here.mentions == (c.id,)


@pytest.mark.gen_test
async def test_a_deleted_message_mentions_no_one(world):
    a, b = await world.user("alice"), await world.user("bob")
    cid = await group_of(world, a, b)
    m, _ = await world.messages.send(a.id, SendMessage(cid, client_id="1", text="@bob"))
    gone = await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    assert gone.mentions == ()
    assert (await world.conversations.get(b.id, cid)).mention_count == 0
