from dataclasses import replace

import pytest

from ezchat.domain.errors import Conflict
from ezchat.domain.model import Presence
from tests.contract.builders import at, user

pytestmark = pytest.mark.gen_test


async def test_a_user_round_trips_with_credentials(stores):
    u, creds = user("alice", "Alice Ä")
    await stores.users.add(u, creds)
    assert await stores.users.get(u.id) == u
    assert await stores.users.get_by_username("alice") == u
    assert await stores.users.credentials(u.id) == creds
    assert await stores.users.get("missing") is None
    assert await stores.users.credentials("missing") is None


async def test_a_taken_username_is_a_conflict(stores):
    await stores.users.add(*user("alice"))
    with pytest.raises(Conflict):
        await stores.users.add(*user("alice"))


async def test_get_many_returns_the_existing_ones(stores):
    a, b = user("alice"), user("bob")
    await stores.users.add(*a)
    await stores.users.add(*b)
    found = await stores.users.get_many([a[0].id, "ghost", b[0].id, a[0].id])
    assert found == {a[0].id: a[0], b[0].id: b[0]}
    assert await stores.users.get_many([]) == {}


async def test_update_changes_the_profile_and_not_the_presence(stores):
    u, creds = user("alice")
    await stores.users.add(u, creds)
    await stores.users.set_presence(u.id, Presence.AWAY, at(5))
    await stores.users.update(replace(u, display_name="Al", avatar_url="https://x/a.png"))
    stored = await stores.users.get(u.id)
    assert (stored.display_name, stored.avatar_url) == ("Al", "https://x/a.png")
    assert (stored.status, stored.last_seen) == (Presence.AWAY, at(5))
    assert await stores.users.set_presence("ghost", Presence.ONLINE, at(1)) is None


async def test_search_is_a_literal_case_insensitive_prefix_ordered_by_username(stores):
    for name, display in [("alice", "Zed"), ("bob", "ALIce B"), ("al_x", "x"), ("carol", "%al")]:
        await stores.users.add(*user(name, display))
    assert [u.username for u in await stores.users.search("ali", 10)] == ["alice", "bob"]
    assert [u.username for u in await stores.users.search("al", 10)] == ["al_x", "alice", "bob"]
    assert [u.username for u in await stores.users.search("al_", 10)] == ["al_x"]
    assert [u.username for u in await stores.users.search("%", 10)] == ["carol"]
    assert len(await stores.users.search("al", 2)) == 2
    assert await stores.users.search("zz", 10) == []


async def test_clearing_presence_makes_everyone_offline_and_keeps_last_seen(stores):
    a, b = user("alice"), user("bob")
    await stores.users.add(*a)
    await stores.users.add(*b)
    await stores.users.set_presence(a[0].id, Presence.ONLINE, at(7))
    await stores.users.set_presence(b[0].id, Presence.AWAY, at(8))
    await stores.users.clear_presence()
    for u, seen in ((a[0], at(7)), (b[0], at(8))):
        stored = await stores.users.get(u.id)
        assert (stored.status, stored.last_seen) == (Presence.OFFLINE, seen)


async def test_presence_of_many_users_is_written_at_once_and_the_last_change_wins(stores):
    from ezchat.domain.model import PresenceChange

    a, b = user("alice"), user("bob")
    await stores.users.add(*a)
    await stores.users.add(*b)
    got = await stores.users.set_presence_many(
        [
            PresenceChange(a[0].id, Presence.ONLINE, at(1)),
            PresenceChange(b[0].id, Presence.AWAY, at(2)),
            PresenceChange("ghost", Presence.ONLINE, at(3)),
            PresenceChange(a[0].id, Presence.AWAY, at(4)),  # the same user again: this wins
        ]
    )
    assert set(got) == {a[0].id, b[0].id}
    assert (got[a[0].id].status, got[a[0].id].last_seen) == (Presence.AWAY, at(4))
    for u, status, seen in ((a[0], Presence.AWAY, at(4)), (b[0], Presence.AWAY, at(2))):
        stored = await stores.users.get(u.id)
        assert (stored.status, stored.last_seen) == (status, seen)
        assert stored.display_name == u.display_name  # nothing else changed
    assert await stores.users.set_presence_many([]) == {}


async def test_only_a_deleted_account_gives_its_username_up(stores):
    from ezchat.domain.access import AccessChange

    (alive, a_creds), (gone, g_creds) = user("alive"), user("gone")
    await stores.users.add(alive, a_creds)
    await stores.users.add(gone, g_creds)
    assert not await stores.users.release_username(alive.id, f"~deleted~{alive.id}")
    await stores.users.set_access(gone.id, AccessChange(deleted_at=at(5).timestamp()))
    assert await stores.users.release_username(gone.id, f"~deleted~{gone.id}")
    assert await stores.users.get_by_username("gone") is None
    kept = await stores.users.get(gone.id)
    assert kept.username == f"~deleted~{gone.id}"
    assert abs(kept.deleted_at - at(5).timestamp()) < 0.001  # nx-27017 keeps fewer digits
    again, creds = user("gone")
    await stores.users.add(again, creds)  # the name is free
    assert (await stores.users.get_by_username("gone")).id == again.id
    assert not await stores.users.release_username("nobody", "~x")
