"""A connection's frames in flight (``FramePipeline``): whatever the frames and however long
each takes, every frame is handled once, frames of one conversation (or of one type without a
conversation) take their places in the order sent, a ping starts only after every frame before
it is done, and no more than the bound are ever in flight."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ezchat.entry.parse import Fields
from ezchat.entry.realtime.pipeline import FramePipeline

KINDS = ["message.send", "message.edit", "typing", "read", "presence", "sync", "ping"]
FRAMES = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from([None, "c0", "c1", "c2"]),
        st.integers(0, 4),  # turns of the loop before the frame takes its place
        st.integers(0, 4),  # and after
    ),
    max_size=40,
)


def key_of(kind: str, conversation: str | None) -> str | None:
    if kind == "ping":
        return None
    return conversation if conversation is not None else kind


@settings(max_examples=300, deadline=None)
@given(frames=FRAMES, limit=st.integers(1, 6))
def test_frames_keep_their_order_where_it_matters_and_stay_within_the_bound(frames, limit):
    placed: list[int] = []  # frame indexes, in the order they took their places
    done: list[int] = []
    starts_of_pings: dict[int, set[int]] = {}

    async def handle(kind: str, index: Any, payload: Fields, queued: Any) -> None:
        _, _, before, after = frames[index]
        if kind == "ping":
            starts_of_pings[index] = set(done)
        for _ in range(before):
            await asyncio.sleep(0)
        if kind == "message.send":
            placed.append(index)
            queued()
        for _ in range(after):
            await asyncio.sleep(0)
        if kind != "message.send":
            placed.append(index)
        done.append(index)

    async def run() -> None:
        pipeline = FramePipeline(handle, limit)
        for index, (kind, conversation, _, _) in enumerate(frames):
            data = {"conversation_id": conversation} if conversation is not None else {}
            wait = pipeline.start(kind, index, Fields(data, "payload."))
            assert pipeline.in_flight <= limit
            if wait is not None:
                await wait
        while pipeline.in_flight:
            await asyncio.sleep(0)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()

    assert sorted(done) == list(range(len(frames)))
    keys = {key_of(k, c) for k, c, _, _ in frames} - {None}
    for key in keys:
        sent = [i for i, (k, c, _, _) in enumerate(frames) if key_of(k, c) == key]
        assert [i for i in placed if i in sent] == sent, key
    for ping, done_then in starts_of_pings.items():
        assert set(range(ping)) <= done_then


def test_past_the_bound_the_reader_waits_until_a_frame_finishes():
    release: dict[Any, Any] = {}

    async def handle(kind: str, frame_id: Any, payload: Fields, placed: Any) -> None:
        await release[frame_id]

    async def run() -> None:
        loop = asyncio.get_running_loop()
        pipeline = FramePipeline(handle, 2)
        for i in range(3):
            release[i] = loop.create_future()
        assert pipeline.start("typing", 0, Fields({"conversation_id": "a"}, "payload.")) is None
        wait = pipeline.start("typing", 1, Fields({"conversation_id": "b"}, "payload."))
        assert wait is not None
        await asyncio.sleep(0)
        assert not wait.done()
        release[1].set_result(None)  # the second finishes first: room for one more
        await asyncio.wait_for(wait, 1)
        assert pipeline.in_flight == 1
        release[0].set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)
        assert pipeline.in_flight == 0

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run())
    finally:
        loop.close()
