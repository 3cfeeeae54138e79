"""Threads: the replies to a root message, what its root shows of them, and who follows them.

A message with ``reply_to`` joins the thread of the message it answers: that message's own
thread when it is a root, the root's when it is itself a reply. So a thread is one level deep,
as in Mattermost and Matrix ``m.thread``, however long the chain of answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ezchat.domain.messages import Message, ThreadSummary

MAX_PARTICIPANTS = 10


def root_of(parent: Message) -> str:
    """The thread a reply to ``parent`` belongs to."""
    return parent.thread_root or parent.id


def summarize(replies: Iterable[Message]) -> ThreadSummary:
    """The summary of a thread from its replies in seq order: the ones that stand count, the
    last of them gives ``last_reply_at``, and the participants are their senders in the order
    each first replied (at most ``MAX_PARTICIPANTS``)."""
    count = 0
    last: datetime | None = None
    participants: list[str] = []
    for m in replies:
        if m.deleted:
            continue
        count += 1
        last = m.created_at
        if m.sender_id not in participants and len(participants) < MAX_PARTICIPANTS:
            participants.append(m.sender_id)
    return ThreadSummary(count, last, tuple(participants))


@dataclass(frozen=True)
class Follow:
    """A user's relation to one thread: whether they follow it (an explicit unfollow is kept,
    so that replies by others do not make them follow again) and how far they have read it."""

    user_id: str
    conversation_id: str
    root_id: str
    following: bool
    read_seq: int


@dataclass(frozen=True)
class FollowedThread:
    follow: Follow
    root: Message


def followers(follows: Iterable[Follow], root: Message) -> set[str]:
    """Who follows the thread: those whose record says so, and the root's author unless they
    have a record (they follow it from the first reply on, until they unfollow)."""
    out: set[str] = set()
    seen: set[str] = set()
    for f in follows:
        seen.add(f.user_id)
        if f.following:
            out.add(f.user_id)
    if root.sender_id not in seen:
        out.add(root.sender_id)
    return out


def activity_key(t: FollowedThread) -> tuple[str, str, str]:
    """The order of the followed threads list: latest reply first (then the root's id), as
    a sortable key, newest last."""
    summary = t.root.thread
    at = summary.last_reply_at if summary is not None else None
    return ((at or t.root.created_at).isoformat(), t.root.conversation_id, t.root.id)
