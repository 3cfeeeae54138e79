"""Mentions: which members a message's text names with ``@username``.

A mention starts at ``@`` not preceded by a word character, a dot or another ``@`` (so
``bob@example.com`` names nobody), and takes the longest run of username characters that names
a member; trailing dots and dashes (end of a sentence) are let go if the longer form names no
one. ``@all`` and ``@here`` name everyone (or everyone present) in a group, when an admin writes
them; from anyone else they are text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.\-]{3,32})")
EVERYONE = "all"
PRESENT = "here"


@dataclass(frozen=True)
class Mentioned:
    user_ids: frozenset[str]
    everyone: bool = False  # @all
    present: bool = False  # @here


def find_mentions(text: str, members: Mapping[str, str]) -> Mentioned:
    """``members``: username (lower-case) -> user id, of the conversation's members."""
    ids: set[str] = set()
    everyone = present = False
    for match in _MENTION.finditer(text):
        name = match.group(1).lower()
        while len(name) >= 3:
            if name in members:
                ids.add(members[name])
                break
            if name in (EVERYONE, PRESENT) and name not in members:
                everyone |= name == EVERYONE
                present |= name == PRESENT
                break
            if name[-1] not in ".-":
                break
            name = name[:-1]
    return Mentioned(frozenset(ids), everyone, present)
