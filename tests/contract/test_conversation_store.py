from dataclasses import replace

import pytest

from ezchat.domain.errors import Conflict, NotFound
from ezchat.domain.model import MemberChange, NotifyLevel, PointerUpdate, Role
from tests.contract.builders import direct, group, member, new_message

pytestmark = pytest.mark.gen_test


async def test_a_conversation_round_trips_with_its_members(stores):
    conv = replace(group("a", "b", "c"), description="about", avatar_url="https://x/y.png")
    await stores.conversations.add(conv)
    assert await stores.conversations.get(conv.id) == conv
    assert await stores.conversations.get("missing") is None


async def test_one_direct_conversation_per_pair(stores):
    first = direct("a", "b")
    await stores.conversations.add(first)
    with pytest.raises(Conflict):
        await stores.conversations.add(direct("b", "a"))
    assert (await stores.conversations.get_direct(first.direct_key)).id == first.id
    assert await stores.conversations.get_direct("x:y") is None


async def test_update_info_changes_only_name_description_and_avatar(stores):
    conv = group("a", "b")
    await stores.conversations.add(conv)
    await stores.messages.add(new_message(conv.id, "a"))
    changed = replace(conv, name="new", description=None, avatar_url="https://x/z.png", last_seq=99)
    stored = await stores.conversations.update_info(changed)
    assert (stored.name, stored.description, stored.avatar_url) == ("new", None, "https://x/z.png")
    assert stored.last_seq == 1 and stored.members == conv.members


async def test_members_are_added_removed_and_updated(stores):
    conv = group("a", "b")
    await stores.conversations.add(conv)
    after = await stores.conversations.add_member(conv.id, member("c", joined=9))
    assert after.member_ids == {"a", "b", "c"}
    with pytest.raises(Conflict):
        await stores.conversations.add_member(conv.id, member("c"))
    with pytest.raises(NotFound):
        await stores.conversations.add_member("missing", member("c"))
    updated = await stores.conversations.update_member(
        conv.id, "c", MemberChange(role=Role.ADMIN, pinned=True)
    )
    c = updated.member("c")
    assert (c.role, c.pinned, c.muted, c.read_seq) == (Role.ADMIN, True, False, 0)
    # A write names only what it changes: the role stays, the settings move.
    updated = await stores.conversations.update_member(conv.id, "c", MemberChange(muted=True))
    c = updated.member("c")
    assert (c.role, c.pinned, c.muted) == (Role.ADMIN, True, True)
    assert c.notify is None  # the conversation type's default
    updated = await stores.conversations.update_member(
        conv.id, "c", MemberChange(notify=NotifyLevel.NONE)
    )
    assert updated.member("c").notify is NotifyLevel.NONE and updated.member("c").muted
    assert (await stores.conversations.get(conv.id)).member("c").notify is NotifyLevel.NONE
    with pytest.raises(NotFound):
        await stores.conversations.update_member(conv.id, "zed", MemberChange(muted=True))
    with pytest.raises(NotFound):
        await stores.conversations.update_member(conv.id, "zed", MemberChange())
    removed = await stores.conversations.remove_member(conv.id, "b")
    assert removed.member_ids == {"a", "c"}
    assert [x.id for x in await stores.conversations.list_for_user("b")] == []


async def test_pointers_only_move_forward_and_reading_implies_delivery(stores):
    conv = group("a", "b")
    await stores.conversations.add(conv)
    m = await stores.conversations.advance_pointers(PointerUpdate.of(conv.id, "b", read_seq=3))
    assert (m.read_seq, m.delivered_seq) == (3, 3)
    m = await stores.conversations.advance_pointers(
        PointerUpdate.of(conv.id, "b", read_seq=1, delivered_seq=7)
    )
    assert (m.read_seq, m.delivered_seq) == (3, 7)
    m = await stores.conversations.advance_pointers(PointerUpdate.of(conv.id, "b", delivered_seq=5))
    assert (m.read_seq, m.delivered_seq) == (3, 7)
    with pytest.raises(NotFound):
        await stores.conversations.advance_pointers(PointerUpdate.of(conv.id, "zed", read_seq=1))


async def test_list_for_user_finds_every_membership(stores):
    g1, g2, d = group("a", "b"), group("b", "c"), direct("a", "c")
    for conv in (g1, g2, d):
        await stores.conversations.add(conv)
    assert {c.id for c in await stores.conversations.list_for_user("a")} == {g1.id, d.id}
    assert {c.id for c in await stores.conversations.list_for_user("b")} == {g1.id, g2.id}
    assert sorted(await stores.conversations.ids_for_user("a")) == sorted([g1.id, d.id])
    assert sorted(await stores.conversations.ids_for_user("c")) == sorted([g2.id, d.id])
    assert await stores.conversations.ids_for_user("nobody") == []


async def test_delete_removes_the_conversation_its_members_and_its_messages(stores):
    conv = direct("a", "b")
    await stores.conversations.add(conv)
    m, _ = await stores.messages.add(new_message(conv.id, "a", client_id="k"))
    await stores.conversations.delete(conv.id)
    assert await stores.conversations.get(conv.id) is None
    assert await stores.conversations.list_for_user("a") == []
    assert await stores.conversations.ids_for_user("a") == []
    assert await stores.messages.get(conv.id, m.id) is None
    again = direct("a", "b")
    await stores.conversations.add(again)  # the pair is free again
    _, created = await stores.messages.add(new_message(again.id, "a", client_id="k"))
    assert created  # and so is the client id
