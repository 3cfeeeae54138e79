import pytest

from ezchat.domain.errors import Conflict, InvalidRequest, RateLimited, Unauthorized

pytestmark = pytest.mark.gen_test


async def test_registering_stores_a_lower_case_username_and_returns_a_working_token(world):
    user, token = await world.auth.register("Alice_1", "correct horse")
    assert user.username == "alice_1"
    assert user.display_name == "alice_1"
    assert (await world.auth.authenticate(token)).id == user.id


async def test_a_taken_username_is_a_conflict_whatever_its_case(world):
    await world.auth.register("alice", "password1")
    with pytest.raises(Conflict):
        await world.auth.register("ALICE", "password2")


@pytest.mark.parametrize("name", ["ab", "a" * 33, "al ice", "al!ce", "ålice", ""])
async def test_usernames_outside_the_allowed_shape_are_refused(world, name):
    with pytest.raises(InvalidRequest) as err:
        await world.auth.register(name, "password1")
    assert err.value.field == "username"


@pytest.mark.parametrize("password", ["short", "x" * 129])
async def test_passwords_outside_8_to_128_characters_are_refused(world, password):
    with pytest.raises(InvalidRequest) as err:
        await world.auth.register("alice", password)
    assert err.value.field == "password"


async def test_passwords_are_stored_only_as_a_salted_hash(world):
    a, _ = await world.auth.register("alice", "same-password")
    b, _ = await world.auth.register("bobby", "same-password")
    store = world.app.services.stores.users
    ha = (await store.credentials(a.id)).password_hash
    hb = (await store.credentials(b.id)).password_hash
    assert "same-password" not in ha
    assert ha.startswith("scrypt$") and ha != hb


async def test_login_checks_the_password_and_says_the_same_for_unknown_users(world):
    await world.auth.register("alice", "password1")
    user, token = await world.auth.login("ALICE", "password1")
    assert user.username == "alice" and token
    with pytest.raises(Unauthorized) as wrong_password:
        await world.auth.login("alice", "password2")
    with pytest.raises(Unauthorized) as unknown_user:
        await world.auth.login("nobody", "password1")
    assert wrong_password.value.message == unknown_user.value.message


async def test_repeated_login_failures_are_rate_limited_until_the_window_passes(world):
    await world.auth.register("alice", "password1")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await world.auth.login("alice", "nope-nope")
    with pytest.raises(RateLimited) as limited:
        await world.auth.login("alice", "password1")
    assert 0 < limited.value.retry_after <= 300
    world.clock.advance(301)
    user, _ = await world.auth.login("alice", "password1")
    assert user.username == "alice"


async def test_tokens_expire(world):
    _, token = await world.auth.register("alice", "password1")
    world.clock.advance(30 * 24 * 3600 + 1)
    with pytest.raises(Unauthorized):
        await world.auth.authenticate(token)


@pytest.mark.parametrize("token", [None, "", "garbage", "1|2|3|4", "ünïcode"])
async def test_missing_or_forged_tokens_are_unauthorized(world, token):
    with pytest.raises(Unauthorized):
        await world.auth.authenticate(token)


async def test_a_token_signed_with_another_secret_is_refused(world, tmp_path):
    from ezchat.adapters.tokens import SignedValueTokenCodec

    forged = SignedValueTokenCodec("another-secret").issue("someone", expires_at=10**12)
    with pytest.raises(Unauthorized):
        await world.auth.authenticate(forged)
