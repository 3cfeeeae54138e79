import pytest

from ezchat.domain.model import Contact, ContactState
from tests.contract.builders import at

pytestmark = pytest.mark.gen_test


async def test_contacts_are_kept_per_side_and_replaced_on_put(stores):
    await stores.contacts.put(Contact("a", "b", ContactState.OUTGOING, at(1)))
    await stores.contacts.put(Contact("b", "a", ContactState.INCOMING, at(1)))
    await stores.contacts.put(Contact("a", "c", ContactState.BLOCKED, at(2)))
    await stores.contacts.put(Contact("a", "b", ContactState.ACCEPTED, at(3)))
    assert await stores.contacts.get("a", "b") == Contact("a", "b", ContactState.ACCEPTED, at(3))
    assert [c.user_id for c in await stores.contacts.list("a")] == ["c", "b"]
    assert [c.state for c in await stores.contacts.list("b")] == [ContactState.INCOMING]


async def test_removing_a_contact_is_quiet_when_there_is_none(stores):
    await stores.contacts.put(Contact("a", "b", ContactState.OUTGOING, at(1)))
    await stores.contacts.remove("a", "b")
    await stores.contacts.remove("a", "b")
    assert await stores.contacts.get("a", "b") is None
    assert await stores.contacts.list("a") == []
