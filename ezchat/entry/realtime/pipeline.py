"""A connection's frames in flight: several handled at once, up to a bound, with order kept
where a client relies on it.

Frames naming the same conversation (or, without one, of the same type) take effect in the
order sent: each starts once the one before it has taken its place, which for a send is being
queued for writing (``message_queued``; its seq then follows the earlier one's) and for any
other frame is being done. A ``ping`` starts once every frame before it is done, so its reply
is a barrier. Past ``limit`` frames in flight, ``start`` returns a future that resolves when
one finishes: the connection is not read until then."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from ezchat.entry.parse import Fields

# (kind, frame id, payload, placed): ``placed()`` says the frame's place is fixed.
Handle = Callable[[str, Any, Fields, Callable[[], None]], Awaitable[None]]


class FramePipeline:
    __slots__ = ("_handle", "_limit", "_running", "_latest", "_room")

    def __init__(self, handle: Handle, limit: int) -> None:
        """``handle(kind, frame_id, payload, placed)`` does one frame and sends its reply; it
        must not raise. It may call ``placed()`` once the frame's place among the later frames
        of its key is fixed (a send queued for writing: its seq then follows the earlier
        one's), so that they may start before it is done."""
        self._handle = handle
        self._limit = limit
        self._running: set[asyncio.Task[None]] = set()
        self._latest: dict[str, asyncio.Future[None]] = {}  # by ordering key
        self._room: asyncio.Future[None] | None = None

    @property
    def in_flight(self) -> int:
        return len(self._running)

    def start(self, kind: str, frame_id: Any, payload: Fields) -> asyncio.Future[None] | None:
        """Start handling a frame; a future to wait for before reading the next one when the
        connection has ``limit`` frames in flight, else None."""
        loop = asyncio.get_running_loop()
        placed: asyncio.Future[None] | None = None
        key = ""
        if kind == "ping":
            after: list[asyncio.Future[None]] = list(self._running)
        else:
            conversation = payload.data.get("conversation_id")
            key = conversation if isinstance(conversation, str) else kind
            previous = self._latest.get(key)
            after = [previous] if previous is not None else []
            placed = self._latest[key] = loop.create_future()
        task = loop.create_task(self._run(kind, frame_id, payload, after, key, placed))
        self._running.add(task)
        task.add_done_callback(self._finished)
        if len(self._running) < self._limit:
            return None
        if self._room is None:
            self._room = loop.create_future()
        return self._room

    async def _run(
        self,
        kind: str,
        frame_id: Any,
        payload: Fields,
        after: list[asyncio.Future[None]],
        key: str,
        placed: asyncio.Future[None] | None,
    ) -> None:
        try:
            if after:
                await asyncio.wait(after)
            await self._handle(
                kind, frame_id, payload, _nothing if placed is None else partial(_settle, placed)
            )
        finally:
            if placed is not None:
                _settle(placed)
                if self._latest.get(key) is placed:
                    del self._latest[key]

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        room = self._room
        if room is not None and len(self._running) < self._limit:
            self._room = None
            _settle(room)


def _nothing() -> None:
    return None


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
