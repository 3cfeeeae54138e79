"""The port of threads: reading a thread's replies, and who follows which thread."""

from __future__ import annotations

from typing import Protocol

from ezchat.domain.messages import Message, ThreadSummary
from ezchat.domain.threads import Follow, FollowedThread


class ThreadStore(Protocol):
    """Replies are written by ``MessageStore.add`` (with ``thread_root``); the root's summary
    by ``MessageStore.replace``. This reads them, and keeps the follow records."""

    async def summary(self, conversation_id: str, root_id: str) -> ThreadSummary:
        """The thread's summary computed from the replies stored now (domain/threads.py
        ``summarize``), read from the primary: the services write it onto the root."""

    async def page(
        self,
        conversation_id: str,
        root_id: str,
        *,
        before: int | None,
        after: int | None,
        limit: int,
    ) -> tuple[list[Message], bool]:
        """The root and its replies, paged like ``MessageStore.page`` (ascending seq, the
        root first as it is the oldest)."""

    async def count_unread(
        self, conversation_id: str, root_id: str, user_id: str, after_seq: int
    ) -> int:
        """The thread's replies above ``after_seq`` that stand, sent by others than
        ``user_id``."""

    async def follow(
        self, user_id: str, conversation_id: str, root_id: str, *, read_seq: int, renew: bool
    ) -> None:
        """A user with no record gets one that follows, read up to ``read_seq``. An existing
        record has its read_seq raised to ``read_seq`` (never lowered) and, when ``renew``, follows
        again (without ``renew`` an unfollow stays). One atomic step."""

    async def unfollow(self, user_id: str, conversation_id: str, root_id: str) -> None:
        """The record (made if missing, read_seq 0) stops following."""

    async def read(self, user_id: str, conversation_id: str, root_id: str, seq: int) -> Follow:
        """Raise the record's read_seq to ``seq`` (made, not following, if missing); the
        record after."""

    async def follows(self, conversation_id: str, root_id: str) -> list[Follow]:
        """Every record of the thread, following or not."""

    async def followed(self, user_id: str) -> list[FollowedThread]:
        """The threads the user follows, each with its root as stored (threads whose root is
        gone are left out), in no particular order."""
