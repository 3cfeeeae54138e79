"""Every query the MongoDB message store makes on messages carries the conversation: with
messages sharded on conversation_id (README, Several processes and several nodes), each one goes
to one shard (an $in of the caller's conversations to those shards), never to all of them."""

from dataclasses import replace
from typing import Any

import pytest

from ezchat.domain.search import SearchQuery, parse
from tests.contract.builders import group, new_message

pytestmark = pytest.mark.gen_test

FILTERED = {
    "find": 0,
    "find_one": 0,
    "count_documents": 0,
    "update_one": 0,
    "update_many": 0,
    "delete_one": 0,
    "delete_many": 0,
    "replace_one": 0,
    "find_one_and_update": 0,
}


class Recording:
    """A collection that notes the filter of every query before making it."""

    def __init__(self, inner: Any, seen: list[tuple[str, dict[str, Any]]]) -> None:
        self._inner, self._seen = inner, seen

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name == "with_options":
            return lambda **kw: Recording(attr(**kw), self._seen)
        if name not in FILTERED:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._seen.append((name, args[0] if args else kwargs.get("filter", {})))
            return attr(*args, **kwargs)

        return call


@pytest.mark.parametrize("stores", ["mongo-pymongo"], indirect=True)
async def test_every_query_on_messages_names_the_conversation(stores):
    seen: list[tuple[str, dict[str, Any]]] = []
    store = stores.messages
    store._messages = Recording(store._messages, seen)
    store._history = Recording(store._history, seen)
    conv, other = group("a", "b"), group("a", "c")
    for c in (conv, other):
        await stores.conversations.add(c)
    sent = [(await store.add(new_message(conv.id, "a", f"hello {i}", at_s=i)))[0] for i in range(5)]
    await store.add_many([new_message(other.id, "a", "batched"), new_message(conv.id, "b", "too")])
    await store.add(new_message(conv.id, "a", "again", client_id=sent[0].client_id))  # a repeat
    await store.page(conv.id, before=None, after=None, limit=2)
    await store.page(conv.id, before=3, after=None, limit=2)
    await store.page(conv.id, before=None, after=1, limit=2)
    await store.get(conv.id, sent[1].id)
    await store.replace(replace(sent[1], text="edited"), expected_rev=sent[1].rev)
    await store.changed_since(conv.id, 2, 10)
    await store.last_messages([conv.id, other.id])
    await store.count_unread(conv.id, "b", 0)
    await store.count_mentions(conv.id, "b", 0)
    words, phrases = parse("hello")
    await store.search([conv.id, other.id], SearchQuery(words=words, phrases=phrases), 10)
    assert len(seen) >= 12
    missing = [(name, f) for name, f in seen if "conversation_id" not in f]
    assert missing == []
