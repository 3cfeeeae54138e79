"""A forwarded message keeps where it came from on every store, alone and in a batch, and
loses it when deleted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ezchat.domain.messages import Forward
from tests.contract.builders import group, new_message

pytestmark = pytest.mark.gen_test


async def test_forwarded_from_is_kept_and_a_delete_clears_it(stores):
    conv = group("a", "b")
    await stores.conversations.add(conv)
    origin = Forward("c-src", "m-src", "b")
    alone, _ = await stores.messages.add(
        replace(new_message(conv.id, "a", "x"), forwarded_from=origin)
    )
    results = await stores.messages.add_many(
        [replace(new_message(conv.id, "a", "y"), forwarded_from=origin), new_message(conv.id, "a")]
    )
    batched, plain = (r[0] for r in results)
    for m in (alone, batched):
        assert m.forwarded_from == origin
        assert (await stores.messages.get(conv.id, m.id)).forwarded_from == origin
    assert plain.forwarded_from is None
    page, _ = await stores.messages.page(conv.id, before=None, after=None, limit=10)
    assert [m.forwarded_from for m in page] == [origin, origin, None]
    gone = await stores.messages.replace(alone.tombstone(), expected_rev=alone.rev)
    assert gone.forwarded_from is None
    assert (await stores.messages.get(conv.id, alone.id)).forwarded_from is None
