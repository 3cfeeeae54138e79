"""Message search: what a query means, whatever engine answers it.

A query is words and "quoted phrases". Text is cut into words at anything that is not a letter
or a digit (so punctuation and pattern characters are never syntax), compared without case and
without diacritics (``cafe`` finds ``café``). A word finds the words of a message that start
with it (``lunch`` finds ``lunchtime``); a phrase finds its words one after the other. A message
is found when it has every word and every phrase. Only the first ``MAX_TERMS`` terms count.

This module is the reference: the memory store matches with it, and snippets are cut with it
for every store. SQLite's FTS5 index (unicode61, diacritics removed) and MongoDB's text index
answer the same query; docs/api.md says where MongoDB differs."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ezchat.domain.errors import InvalidRequest

MAX_QUERY_CHARS = 20_000
MAX_TERMS = 32
SNIPPET_CHARS = 160

_WORD = re.compile(r"[^\W_]+")


class Order(StrEnum):
    RECENT = "recent"
    RELEVANCE = "relevance"


def fold(text: str) -> str:
    """Case and diacritics away: ``Café`` and ``CAFE`` are both ``cafe``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The words of ``text`` as written (a letter or digit run)."""
    return _WORD.findall(text)


def folded_words(text: str) -> list[tuple[str, int, int]]:
    """Each word of ``text``, folded, with where it stands in ``text``."""
    out = []
    for m in _WORD.finditer(text):
        for part in words(fold(m.group())):  # folding can split a word ("ﬁ" stays whole)
            out.append((part, m.start(), m.end()))
    return out


@dataclass(frozen=True)
class SearchQuery:
    """What to find. ``words``/``phrases`` hold the words as the user wrote them (an engine
    folds them its own way); ``position`` is where the previous page stopped, as the store
    that answered it wrote it (opaque above the store)."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    sender_id: str | None = None
    before: datetime | None = None
    after: datetime | None = None
    order: Order = Order.RECENT
    position: str | None = None

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def terms(self) -> list[tuple[str, ...]]:
        """Every term as folded words: a word alone, or a phrase's words."""
        return [(fold(w),) for w in self.words] + [tuple(fold(w) for w in p) for p in self.phrases]


def parse(q: str) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Words and phrases of a query. Never a syntax error: an unclosed quote runs to the end,
    and text with no letters or digits is simply no term."""
    if not q.strip():
        raise InvalidRequest("q must contain at least one word", field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidRequest(f"q must be at most {MAX_QUERY_CHARS} characters", field="q")
    found_words: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for i, part in enumerate(q.split('"')):
        inside = i % 2 == 1
        if inside:
            phrase = tuple(words(part))
            if len(phrase) > 1:
                phrases.append(phrase)
            else:
                found_words.extend(phrase)  # a quoted single word is that word
        else:
            found_words.extend(words(part))
    kept_words = tuple(dict.fromkeys(found_words))[:MAX_TERMS]
    return kept_words, tuple(phrases)[: max(0, MAX_TERMS - len(kept_words))]


def _has_term(tokens: list[str], term: tuple[str, ...]) -> bool:
    if len(term) == 1:
        return any(t.startswith(term[0]) for t in tokens)
    n = len(term)
    return any(tuple(tokens[i : i + n]) == term for i in range(len(tokens) - n + 1))


def matches(text: str, query: SearchQuery) -> bool:
    tokens = [t for t, _, _ in folded_words(text)]
    return not query.empty and all(_has_term(tokens, term) for term in query.terms())


def score(text: str, query: SearchQuery) -> float:
    """A plain relevance for the reference store: how often the terms occur, per word."""
    tokens = [t for t, _, _ in folded_words(text)]
    hits = sum(
        sum(1 for t in tokens if t.startswith(term[0])) if len(term) == 1 else 3
        for term in query.terms()
    )
    return hits / (len(tokens) + 5)


def snippet(text: str, query: SearchQuery, width: int = SNIPPET_CHARS) -> str:
    """HTML: up to ``width`` characters of ``text`` around the first match, escaped, with every
    matched word in ``<mark>``; "…" where text was cut."""
    spans = _spans(text, query)
    start = 0
    if spans and len(text) > width:
        start = max(0, min(spans[0][0] - width // 4, len(text) - width))
    end = min(len(text), start + width)
    out = ["\u2026" if start > 0 else ""]
    at = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[at:s]) + "<mark>" + html.escape(text[s:e]) + "</mark>")
        at = e
    out.append(html.escape(text[at:end]) + ("\u2026" if end < len(text) else ""))
    return "".join(out)


def _spans(text: str, query: SearchQuery) -> list[tuple[int, int]]:
    tokens = folded_words(text)
    folded = [t for t, _, _ in tokens]
    marked: set[int] = set()
    for term in query.terms():
        n = len(term)
        for i in range(len(tokens)):
            if n == 1 and folded[i].startswith(term[0]):
                marked.add(i)
            elif n > 1 and tuple(folded[i : i + n]) == term:
                marked.update(range(i, i + n))
    return sorted({(tokens[i][1], tokens[i][2]) for i in marked})


# Paging by relevance goes by offset; it stops this deep (ranking every match again per page).
MAX_OFFSET = 1000


def bad_position() -> InvalidRequest:
    return InvalidRequest("cursor is not one this server gave", field="cursor")


def offset_of(position: str | None) -> int:
    """A relevance page's start; a position that is not one is the client's error."""
    if position is None:
        return 0
    if not position.isdigit() or len(position) > 6 or int(position) > MAX_OFFSET:
        raise bad_position()
    return int(position)


def next_offset(start: int, limit: int, more: bool) -> str | None:
    end = start + limit
    return str(end) if more and end <= MAX_OFFSET else None


def keyset_of(position: str) -> tuple[str, str]:
    """A recent page's (time, id) bound, as a store wrote it with ``keyset``."""
    at, sep, message_id = position.partition("|")
    if not sep or not at or not message_id or len(position) > 200:
        raise bad_position()
    return at, message_id


def keyset(at: str, message_id: str) -> str:
    return f"{at}|{message_id}"
