"""A deleted account's username: taken for DELETED_USERNAME_HOLD_DAYS, then free for anyone;
the deleted account keeps its id (and messages), never its name."""

from __future__ import annotations

import pytest

from ezchat.domain.errors import Conflict
from tests.support import World

pytestmark = pytest.mark.gen_test


@pytest.fixture
def w(tmp_path, io_loop):
    world = World(tmp_path, deleted_username_hold_days=30)
    io_loop.run_sync(lambda: world.app.start(serving=False))
    yield world
    io_loop.run_sync(world.app.aclose)


async def test_a_deleted_name_is_held_then_freed(w):
    ben = await w.user("ben")
    await w.app.services.deletion.delete_own(ben.id, "password-ben")
    with pytest.raises(Conflict):
        await w.auth.register("ben", "password-1")
    w.clock.advance(29 * 86400)
    with pytest.raises(Conflict):
        await w.auth.register("ben", "password-1")
    w.clock.advance(2 * 86400)
    new, _ = await w.auth.register("ben", "password-1")
    assert new.id != ben.id
    old = await w.app.services.stores.users.get(ben.id)
    assert old is not None and old.deleted_at is not None and old.username != "ben"
    user, _ = await w.auth.login("ben", "password-1")
    assert user.id == new.id
