import pytest

from ezchat.domain.access import AccessChange, Revocation
from tests.contract.builders import user

pytestmark = pytest.mark.gen_test


def revocation(n: int, *, token: str | None = None, until: float = 2000.0) -> Revocation:
    return Revocation(id=f"r{n}", user_id="u", at=1000.0 + n, expires_at=until, token_id=token)


async def test_the_feed_is_read_in_order_from_a_position(stores):
    feed = stores.revocations
    start = await feed.position()
    for n in range(5):
        await feed.add(revocation(n, token=f"t{n}" if n % 2 else None))
    found, position = await feed.after(start, limit=3)
    assert [r.id for r in found] == ["r0", "r1", "r2"]
    rest, end = await feed.after(position)
    assert [r.id for r in rest] == ["r3", "r4"] and end == await feed.position()
    assert (await feed.after(end))[0] == []
    assert rest[0] == revocation(3, token="t3")


async def test_active_ones_are_the_unexpired_single_token_revocations(stores):
    feed = stores.revocations
    await feed.add(revocation(1, token="old", until=500.0))
    await feed.add(revocation(2, token="live", until=5000.0))
    await feed.add(revocation(3, until=5000.0))  # every token: carried by the user record
    assert [r.token_id for r in await feed.active(1000.0)] == ["live"]


async def test_access_changes_touch_only_what_they_name(stores):
    u, creds = user("alice")
    await stores.users.add(u, creds)
    changed = await stores.users.set_access(
        u.id, AccessChange(sessions_after=5.0, session_kept="t")
    )
    assert (changed.disabled, changed.sessions_after, changed.session_kept) == (False, 5.0, "t")
    changed = await stores.users.set_access(u.id, AccessChange(disabled=True, password_hash="h2"))
    assert (changed.disabled, changed.sessions_after, changed.session_kept) == (True, 5.0, "t")
    assert (await stores.users.credentials(u.id)).password_hash == "h2"
    assert (await stores.users.get(u.id)).disabled
    assert await stores.users.set_access("nobody", AccessChange(disabled=True)) is None
