"""MongoDB message search: through the text index where the deployment has one, else by
regular expressions over the case-folded text of the caller's conversations."""

from __future__ import annotations

import inspect
import re
from typing import Any

from pymongo import DESCENDING

from ezchat.adapters.codec import message_in, time_out
from ezchat.domain.messages import Message
from ezchat.domain.search import Order, SearchQuery, keyset, keyset_of, next_offset, offset_of


def _pattern(term: tuple[str, ...]) -> str:
    """A term as a literal regular expression over the case-folded text: its words in a row,
    anything but letters and digits between them."""
    return r"[\W_]+".join(re.escape(w.casefold()) for w in term)


async def search_messages(
    messages: Any, text_index: bool, conversation_ids: list[str], query: SearchQuery, limit: int
) -> tuple[list[Message], str | None]:
    """With the text index: $text, every word and phrase quoted, so all must be there
    (whole words: MongoDB's text index has no prefix search). Without it: a regular
    expression per term over the case-folded text (substrings; diacritics count)."""
    q = query
    if q.empty or not conversation_ids:
        return [], None
    relevance = q.order is Order.RELEVANCE
    start = offset_of(q.position) if relevance else 0
    bound = None if relevance or q.position is None else keyset_of(q.position)
    found: dict[str, Any] = {"conversation_id": {"$in": conversation_ids}, "deleted": {"$ne": True}}
    if q.sender_id is not None:
        found["sender_id"] = q.sender_id
    newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
    sort: list[tuple[str, Any]] = newest
    terms = [*((w,) for w in q.words), *q.phrases]
    if text_index:
        found["$text"] = {"$search": " ".join('"' + " ".join(t) + '"' for t in terms)}
        if relevance:
            sort = [("score", {"$meta": "textScore"}), *newest]
    else:
        found["$and"] = [{"text_folded": {"$regex": _pattern(t)}} for t in terms]
    # The time bounds and the page's bound are checked here, on the sorted stream: nx-27017
    # finds nothing for $text beside a range on another field (a real MongoDB sorts text
    # matches in memory anyway, so little is lost).
    before = time_out(q.before) if q.before is not None else None
    after = time_out(q.after) if q.after is not None else None
    docs: list[dict[str, Any]] = []
    passed = 0
    cursor = messages.find(found).sort(sort).batch_size(limit + 1)
    try:
        async for d in cursor:
            at = d["created_at"]
            if after is not None and at <= after:
                if relevance:
                    continue
                break  # newest first: the rest are older still
            if (before is not None and at >= before) or (bound and (at, d["_id"]) >= bound):
                continue
            passed += 1
            if passed > start:
                docs.append(d)
                if len(docs) > limit:
                    break
    finally:
        closing = cursor.close()
        if inspect.isawaitable(closing):
            await closing
    page = [message_in(d, d["_id"]) for d in docs[:limit]]
    more = len(docs) > limit
    if relevance:
        return page, next_offset(start, limit, more)
    if not more:
        return page, None
    return page, keyset(time_out(page[-1].created_at) or "", page[-1].id)
