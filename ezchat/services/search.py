"""Message search: the caller's conversations only, any text a plain search (the query's
meaning is domain/search.py's), a snippet for each message found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ezchat.domain import search
from ezchat.domain.errors import InvalidRequest
from ezchat.domain.messages import Message
from ezchat.ports.storage import ConversationStore, MessageStore
from ezchat.services.conversations import ConversationService


def _floor_ms(t: datetime) -> datetime:
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def _ceil_ms(t: datetime) -> datetime:
    floor = _floor_ms(t)
    return floor if floor == t else floor + timedelta(milliseconds=1)


@dataclass(frozen=True)
class SearchHit:
    message: Message
    snippet: str  # HTML: the text around the match, escaped, matched words in <mark>


class SearchService:
    def __init__(
        self,
        *,
        conversations: ConversationService,
        conversation_store: ConversationStore,
        messages: MessageStore,
    ) -> None:
        self._conversations = conversations
        self._conversation_store = conversation_store
        self._messages = messages

    async def search(
        self,
        caller: str,
        q: str,
        *,
        conversation_id: str | None = None,
        sender_id: str | None = None,
        before: datetime | None = None,
        after: datetime | None = None,
        order: str = "recent",
        position: str | None = None,
        limit: int,
    ) -> tuple[list[SearchHit], str | None]:
        """Messages of the caller's conversations (or the one named, if a member) with every
        term of ``q``, each with a snippet, and where the next page starts (None: no more).
        Any text is a plain search: ``q`` with no letters or digits finds nothing. ``before``
        and ``after`` compare at the millisecond, as the API shows times: ``after`` a message's
        ``created_at`` leaves that message out."""
        found_words, phrases = search.parse(q)
        try:
            ordering = search.Order(order)
        except ValueError:
            raise InvalidRequest("order must be 'recent' or 'relevance'", field="order") from None
        query = search.SearchQuery(
            words=found_words,
            phrases=phrases,
            sender_id=sender_id,
            before=_ceil_ms(before) if before is not None else None,
            after=_floor_ms(after) + timedelta(microseconds=999) if after is not None else None,
            order=ordering,
            position=position,
        )
        if conversation_id is not None:
            await self._conversations.require_member(caller, conversation_id)
            ids = [conversation_id]
        else:
            ids = [c.id for c in await self._conversation_store.list_for_user(caller)]
        if not ids or query.empty:
            return [], None
        messages, after_page = await self._messages.search(ids, query, limit)
        return [SearchHit(m, search.snippet(m.text, query)) for m in messages], after_page
