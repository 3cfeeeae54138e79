import pytest

from ezchat.domain.errors import InvalidRequest, NotFound
from ezchat.domain.events import UserUpdated
from ezchat.domain.unset import UNSET

pytestmark = pytest.mark.gen_test


async def test_profile_changes_reach_the_user_contacts_and_co_members(world):
    a, b, c, d = [await world.user(n) for n in ("alice", "bob", "carol", "dave")]
    await world.contacts.request(a.id, b.id)
    await world.contacts.accept(b.id, a.id)
    await world.conversations.create_group(a.id, name="g", member_ids=[c.id])
    user = await world.users.update_profile(
        a.id, display_name="  Alice A. ", avatar_url="https://img.example/a.png"
    )
    assert user.display_name == "Alice A." and user.avatar_url == "https://img.example/a.png"
    assert world.events.of(UserUpdated)[-1].recipients == {a.id, b.id, c.id}
    assert d.id not in world.events.of(UserUpdated)[-1].recipients


async def test_avatar_can_be_cleared_but_display_name_cannot(world):
    a = await world.user("alice")
    await world.users.update_profile(a.id, avatar_url="https://img.example/a.png")
    assert (await world.users.update_profile(a.id, avatar_url=None)).avatar_url is None
    with pytest.raises(InvalidRequest):
        await world.users.update_profile(a.id, display_name=None)
    with pytest.raises(InvalidRequest):
        await world.users.update_profile(a.id, avatar_url="javascript:alert(1)")
    unchanged = await world.users.update_profile(a.id, display_name=UNSET)
    assert unchanged.display_name == "alice"


async def test_user_search_is_a_literal_case_insensitive_prefix(world):
    for name in ("alice", "alicia", "bob", "al.x"):
        await world.user(name)
    await world.users.update_profile(
        (await world.users.search("bob", 5))[0].id, display_name="Ali Baba"
    )
    found = [u.username for u in await world.users.search("ALI", 10)]
    assert found == ["alice", "alicia", "bob"]
    assert [u.username for u in await world.users.search("al.", 10)] == ["al.x"]
    assert await world.users.search("a.*", 10) == []
    assert len(await world.users.search("a", 1)) == 1


async def test_unknown_users_are_not_found(world):
    with pytest.raises(NotFound):
        await world.users.get("nobody")


async def test_presence_and_profile_writes_do_not_overwrite_each_other(world):
    from ezchat.domain.model import Presence

    a = await world.user("alice")
    store = world.app.services.stores.users
    stale = await store.get(a.id)
    await store.set_presence(a.id, Presence.ONLINE, world.clock.now())
    from dataclasses import replace

    await store.update(replace(stale, display_name="Alice"))
    user = await store.get(a.id)
    assert (user.display_name, user.status) == ("Alice", Presence.ONLINE)
