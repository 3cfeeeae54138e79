import pytest

from ezchat.domain.commands import SendMessage
from ezchat.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ezchat.domain.events import (
    ConversationCreated,
    ConversationDeleted,
    ConversationUpdated,
    MemberAdded,
    MemberRemoved,
)
from ezchat.domain.model import Role
from ezchat.entry import cursors

pytestmark = pytest.mark.gen_test


async def group(world, admin, *others, name="team"):
    view = await world.conversations.create_group(
        admin.id, name=name, member_ids=[o.id for o in others]
    )
    return view.conversation


def roles(conv):
    return {m.user_id: m.role for m in conv.members}


async def test_a_direct_conversation_is_created_once_per_pair(world):
    a, b = await world.user("alice"), await world.user("bob")
    first, created = await world.conversations.open_direct(a.id, b.id)
    again, created_again = await world.conversations.open_direct(b.id, a.id)
    assert created and not created_again
    assert first.conversation.id == again.conversation.id
    assert first.conversation.member_ids == {a.id, b.id}
    assert len(world.events.of(ConversationCreated)) == 1


async def test_a_direct_conversation_needs_another_existing_user(world):
    a = await world.user("alice")
    with pytest.raises(InvalidRequest):
        await world.conversations.open_direct(a.id, a.id)
    with pytest.raises(InvalidRequest):
        await world.conversations.open_direct(a.id, "nobody")


async def test_a_blocked_user_cannot_open_a_direct_conversation(world):
    a, b = await world.user("alice"), await world.user("bob")
    await world.contacts.block(b.id, a.id)
    with pytest.raises(Forbidden):
        await world.conversations.open_direct(a.id, b.id)


async def test_the_group_creator_is_admin_and_the_others_members(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    conv = await group(world, a, b, c, b)
    assert roles(conv) == {a.id: Role.ADMIN, b.id: Role.MEMBER, c.id: Role.MEMBER}
    created = world.events.of(ConversationCreated)[-1]
    assert created.recipients == {a.id, b.id, c.id}


async def test_unknown_member_ids_refuse_the_group(world):
    a = await world.user("alice")
    with pytest.raises(InvalidRequest) as err:
        await world.conversations.create_group(a.id, name="x", member_ids=["ghost"])
    assert "ghost" in err.value.message


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
async def test_group_names_are_1_to_100_characters(world, name):
    a = await world.user("alice")
    with pytest.raises(InvalidRequest):
        await world.conversations.create_group(a.id, name=name, member_ids=[])


async def test_non_members_are_told_the_conversation_does_not_exist(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    conv = await group(world, a, b)
    with pytest.raises(NotFound):
        await world.conversations.get(c.id, conv.id)
    with pytest.raises(NotFound):
        await world.conversations.get(a.id, "missing")


async def test_only_admins_change_add_remove_and_delete(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    conv = await group(world, a, b)
    with pytest.raises(Forbidden):
        await world.conversations.update_info(b.id, conv.id, name="mine")
    with pytest.raises(Forbidden):
        await world.members.add_member(b.id, conv.id, c.id)
    with pytest.raises(Forbidden):
        await world.members.remove_member(b.id, conv.id, a.id)
    with pytest.raises(Forbidden):
        await world.conversations.delete(b.id, conv.id)
    view = await world.conversations.update_info(a.id, conv.id, name="renamed")
    assert view.conversation.name == "renamed"
    assert world.events.of(ConversationUpdated)[-1].conversation.name == "renamed"


async def test_adding_a_member_twice_is_a_conflict(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a)
    view = await world.members.add_member(a.id, conv.id, b.id)
    assert b.id in view.conversation.member_ids
    assert world.events.of(MemberAdded)[-1].recipients == {a.id, b.id}
    with pytest.raises(Conflict):
        await world.members.add_member(a.id, conv.id, b.id)


async def test_a_new_member_starts_with_nothing_unread(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a)
    await world.messages.send(a.id, SendMessage(conv.id, client_id="1", text="before bob"))
    view = await world.members.add_member(a.id, conv.id, b.id)
    bob_view = await world.conversations.get(b.id, view.conversation.id)
    assert bob_view.unread_count == 0 and bob_view.member.read_seq == 1


async def test_when_the_last_admin_leaves_the_longest_standing_member_becomes_admin(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    conv = await group(world, a, b)
    world.clock.advance(10)
    await world.members.add_member(a.id, conv.id, c.id)
    await world.members.remove_member(a.id, conv.id, a.id)
    view = await world.conversations.get(b.id, conv.id)
    assert roles(view.conversation) == {b.id: Role.ADMIN, c.id: Role.MEMBER}
    removed = world.events.of(MemberRemoved)[-1]
    assert removed.user_id == a.id and a.id in removed.recipients


async def test_the_last_admin_cannot_be_demoted(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a, b)
    with pytest.raises(Conflict):
        await world.members.set_role(a.id, conv.id, a.id, "member")
    await world.members.set_role(a.id, conv.id, b.id, "admin")
    view = await world.members.set_role(a.id, conv.id, a.id, "member")
    assert roles(view.conversation) == {a.id: Role.MEMBER, b.id: Role.ADMIN}


async def test_roles_must_be_admin_or_member(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a, b)
    with pytest.raises(InvalidRequest):
        await world.members.set_role(a.id, conv.id, b.id, "owner")


async def test_a_removed_member_loses_access_at_once(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a, b)
    await world.members.remove_member(a.id, conv.id, b.id)
    with pytest.raises(NotFound):
        await world.conversations.get(b.id, conv.id)
    with pytest.raises(NotFound):
        await world.messages.send(b.id, SendMessage(conv.id, client_id="x", text="hi"))


async def test_the_last_member_leaving_ends_the_group(world):
    a = await world.user("alice")
    conv = await group(world, a)
    await world.members.remove_member(a.id, conv.id, a.id)
    assert await world.app.services.conversations._conversations.get(conv.id) is None


async def test_deleting_a_group_tells_every_member(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a, b)
    await world.conversations.delete(a.id, conv.id)
    assert world.events.of(ConversationDeleted)[-1].recipients == {a.id, b.id}
    with pytest.raises(NotFound):
        await world.conversations.get(b.id, conv.id)


async def test_direct_conversations_cannot_be_renamed_deleted_or_joined(world):
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    view, _ = await world.conversations.open_direct(a.id, b.id)
    cid = view.conversation.id
    with pytest.raises(InvalidRequest):
        await world.conversations.delete(a.id, cid)
    with pytest.raises(InvalidRequest):
        await world.conversations.update_info(a.id, cid, name="x")
    with pytest.raises(InvalidRequest):
        await world.members.add_member(a.id, cid, c.id)


async def test_the_list_puts_pinned_first_then_the_latest_activity(world):
    a, b = await world.user("alice"), await world.user("bob")
    convs = []
    for i in range(4):
        convs.append(await group(world, a, b, name=f"g{i}"))
        world.clock.advance(1)
    await world.messages.send(a.id, SendMessage(convs[1].id, client_id="m", text="fresh"))
    await world.members.update_settings(b.id, convs[2].id, pinned=True)
    views, cursor = await world.conversations.listing(b.id, limit=10, after=None)
    assert [v.conversation.name for v in views] == ["g2", "g1", "g3", "g0"]
    assert cursor is None
    mine, _ = await world.conversations.listing(a.id, limit=10, after=None)
    assert [v.conversation.name for v in mine] == ["g1", "g3", "g2", "g0"]


async def test_the_list_pages_with_a_cursor_without_repeats_or_gaps(world):
    a = await world.user("alice")
    for i in range(7):
        await group(world, a, name=f"g{i}")
        world.clock.advance(1)
    seen, cursor = [], None
    while True:
        views, cursor = await world.conversations.listing(a.id, limit=3, after=cursor)
        seen += [v.conversation.name for v in views]
        if cursor is None:
            break
    assert seen == [f"g{i}" for i in range(6, -1, -1)]


async def test_a_bad_cursor_is_an_invalid_request():
    with pytest.raises(InvalidRequest):
        cursors.decode("not-a-cursor")
    assert cursors.decode(cursors.encode((0, -12.5, "c1"))) == (0, -12.5, "c1")


async def test_settings_are_the_callers_own(world):
    a, b = await world.user("alice"), await world.user("bob")
    conv = await group(world, a, b)
    mine = await world.members.update_settings(a.id, conv.id, pinned=True, muted=True)
    theirs = await world.conversations.get(b.id, conv.id)
    assert (mine.member.pinned, mine.member.muted) == (True, True)
    assert (theirs.member.pinned, theirs.member.muted) == (False, False)
    assert world.events.of(ConversationUpdated)[-1].recipients == {a.id}
