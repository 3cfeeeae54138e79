"""Who is notified, when, and what happens when a channel fails: the real services on the memory
stores, a fake clock and a fake channel."""

from dataclasses import dataclass, field

import pytest

from ezchat.domain.commands import DeleteMessage, SendMessage
from ezchat.ports.notify import Outcome
from ezchat.services.notifications import DeliveryPolicy, NotificationService, Result

pytestmark = pytest.mark.gen_test

DELAY = 30


@dataclass
class FakeChannel:
    """Targets by key; each answers with the next of its scripted outcomes (then: sent)."""

    targets: tuple[str, ...] = ("hook",)
    script: dict[str, list[Outcome]] = field(default_factory=dict)
    sent: list = field(default_factory=list)  # (key, notice)
    name: str = "fake"

    async def deliver(self, notice, done):
        out = []
        for key in self.targets:
            if key in done:
                continue
            queued = self.script.get(key) or []
            result = queued.pop(0) if queued else Outcome.sent(key)
            if result.ok:
                self.sent.append((key, notice))
            out.append(result)
        return out

    async def aclose(self):
        return None


@pytest.fixture
def setup(world):
    async def make(channel=None, **policy):
        channel = channel or FakeChannel()
        stores = world.app.services.stores
        service = NotificationService(
            outbox=stores.outbox,
            conversations=stores.conversations,
            messages=stores.messages,
            users=stores.users,
            contacts=stores.contacts,
            channels=[channel],
            clock=world.clock,
            policy=DeliveryPolicy(**policy),
            rand=lambda: 0.0,
        )
        return service, channel

    return make


async def run_due(service):
    return [await service.deliver(e) for e in await service.claim()]


async def send(world, user, cid, text):
    m, _ = await world.messages.send(user.id, SendMessage(cid, client_id=text[:60], text=text))
    return m


@pytest.fixture
def direct(world):
    async def make():
        a, b = await world.user("alice"), await world.user("bob")
        view, _ = await world.conversations.open_direct(a.id, b.id)
        return a, b, view.conversation.id

    return make


async def test_an_unread_direct_message_is_told_once_the_delay_is_over(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    m = await send(world, a, cid, "hello bob")
    world.clock.advance(DELAY - 1)
    assert await run_due(service) == []
    world.clock.advance(1)
    assert await run_due(service) == [Result.SENT]
    [(key, notice)] = channel.sent
    assert (notice.user_id, notice.count, notice.message.id, notice.sender.id) == (
        b.id,
        1,
        m.id,
        a.id,
    )
    assert notice.preview == "hello bob" and not notice.mentioned
    assert await run_due(service) == []  # sent once


async def test_messages_of_one_conversation_are_told_together(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    for i in range(3):
        await send(world, a, cid, f"message {i}")
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SENT]
    [(_, notice)] = channel.sent
    assert notice.count == 3 and notice.preview == "message 2"


async def test_reading_on_another_device_tells_nothing(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    m = await send(world, a, cid, "seen already")
    await world.messages.mark_read(b.id, cid, m.seq)
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SKIPPED]
    assert channel.sent == []


async def test_only_what_is_still_unread_is_counted(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    first = await send(world, a, cid, "one")
    await send(world, a, cid, "two")
    await world.messages.mark_read(b.id, cid, first.seq)
    world.clock.advance(DELAY)
    await run_due(service)
    [(_, notice)] = channel.sent
    assert notice.count == 1 and notice.preview == "two"


async def test_a_message_deleted_before_the_delay_is_never_announced(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    m = await send(world, a, cid, "oops")
    await world.messages.delete(a.id, DeleteMessage(cid, m.id))
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SKIPPED]
    assert channel.sent == []


async def test_a_muted_conversation_tells_only_mentions(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    await world.members.update_settings(b.id, cid, muted=True)
    await send(world, a, cid, "quiet")
    world.clock.advance(DELAY)
    assert await run_due(service) == []  # nothing was even queued
    await send(world, a, cid, "hey @bob")
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SENT]
    assert channel.sent[0][1].mentioned


async def test_muting_after_the_send_still_stops_it(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    await send(world, a, cid, "queued")
    await world.members.update_settings(b.id, cid, muted=True)
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SKIPPED]
    assert channel.sent == []


async def test_a_group_tells_only_the_mentioned_by_default_and_all_from_an_admin(world, setup):
    service, channel = await setup()
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id, c.id])
    cid = view.conversation.id
    await send(world, a, cid, "no one named")
    await send(world, b, cid, "hi @carol and @nobody, mail me at x@alice.example")
    world.clock.advance(DELAY)
    await run_due(service)
    assert [n.user_id for _, n in channel.sent] == [c.id]
    channel.sent.clear()
    await send(world, b, cid, "@all from a member is text")
    await send(world, a, cid, "@all from the admin")
    world.clock.advance(DELAY)
    await run_due(service)
    assert sorted(n.user_id for _, n in channel.sent) == sorted([b.id, c.id])


async def test_level_none_tells_nothing_and_all_tells_everything(world, setup):
    service, channel = await setup()
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id, c.id])
    cid = view.conversation.id
    await world.members.update_settings(b.id, cid, notify="none")
    await world.members.update_settings(c.id, cid, notify="all")
    await send(world, a, cid, "plain, and @bob")
    world.clock.advance(DELAY)
    await run_due(service)
    assert [n.user_id for _, n in channel.sent] == [c.id]


async def test_a_failed_send_is_retried_after_a_backoff(world, setup, direct):
    service, channel = await setup(
        FakeChannel(script={"hook": [Outcome("hook", False, error="HTTP 500")]})
    )
    a, b, cid = await direct()
    await send(world, a, cid, "try again")
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.RETRY]
    assert channel.sent == []
    world.clock.advance(0.9)  # equal jitter: at least half of 2 s
    assert await run_due(service) == []
    world.clock.advance(0.2)
    assert await run_due(service) == [Result.SENT]
    assert len(channel.sent) == 1


async def test_a_retry_skips_the_targets_that_have_it(world, setup, direct):
    channel = FakeChannel(
        targets=("phone", "laptop"),
        script={"laptop": [Outcome("laptop", False, error="HTTP 503", retry_after_s=7)]},
    )
    service, _ = await setup(channel)
    a, b, cid = await direct()
    await send(world, a, cid, "twice?")
    world.clock.advance(DELAY)
    await run_due(service)
    world.clock.advance(6)
    assert await run_due(service) == []  # the receiver asked for 7 s
    world.clock.advance(1)
    assert await run_due(service) == [Result.SENT]
    assert [key for key, _ in channel.sent] == ["phone", "laptop"]


async def test_after_the_last_attempt_it_is_kept_dead_with_the_error(world, setup, direct):
    fail = [Outcome("hook", False, error="HTTP 502") for _ in range(3)]
    service, channel = await setup(FakeChannel(script={"hook": fail}), max_attempts=3)
    a, b, cid = await direct()
    await send(world, a, cid, "never")
    world.clock.advance(DELAY)
    results = []
    for _ in range(3):
        results += await run_due(service)
        world.clock.advance(600)
    assert results == [Result.RETRY, Result.RETRY, Result.DEAD]
    [dead] = await world.app.services.stores.outbox.dead(10)
    assert dead.last_error == "hook: HTTP 502" and dead.attempts == 3


async def test_a_permanent_refusal_is_not_retried(world, setup, direct):
    refused = [Outcome("hook", False, error="HTTP 400", permanent=True)]
    service, channel = await setup(FakeChannel(script={"hook": refused}))
    a, b, cid = await direct()
    await send(world, a, cid, "bad")
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.DEAD]


async def test_a_member_who_left_is_not_told(world, setup):
    service, channel = await setup()
    a, b = await world.user("alice"), await world.user("bob")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id])
    cid = view.conversation.id
    await send(world, a, cid, "@bob look")
    await world.members.remove_member(b.id, cid, b.id)
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SKIPPED]
    assert channel.sent == []


async def test_a_long_text_is_previewed_in_200_characters(world, setup, direct):
    service, channel = await setup()
    a, b, cid = await direct()
    await send(world, a, cid, "é" * 150 + "😀" * 100)
    world.clock.advance(DELAY)
    await run_due(service)
    preview = channel.sent[0][1].preview
    assert len(preview) == 200 and preview.endswith("\u2026") and preview[:150] == "é" * 150


async def test_messages_join_the_open_entry_and_after_its_claim_open_a_new_one(
    world, setup, direct
):
    service, channel = await setup()
    a, b, cid = await direct()
    outbox = world.app.services.stores.outbox
    await send(world, a, cid, "first")
    world.clock.advance(10)
    await send(world, a, cid, "second")
    assert (await outbox.counts())["open"] == 1
    world.clock.advance(19)
    await send(world, a, cid, "third")
    world.clock.advance(1)
    assert await run_due(service) == [Result.SENT]
    assert channel.sent[-1][1].count == 3 and channel.sent[-1][1].preview == "third"
    world.clock.advance(1)  # the entry was claimed: the next message opens a new one
    await send(world, a, cid, "fourth")
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SENT]
    assert channel.sent[-1][1].count == 1 and channel.sent[-1][1].preview == "fourth"


async def test_the_newest_wanted_message_is_found_behind_a_page_of_others(world, setup):
    service, channel = await setup()
    a, b = await world.user("alice"), await world.user("bob")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id])
    cid = view.conversation.id
    await send(world, a, cid, "@bob the one that matters")
    for i in range(150):  # more than a page of messages that do not mention bob
        await world.messages.send(a.id, SendMessage(cid, client_id=f"n{i}", text=f"noise {i}"))
        world.clock.advance(0.11)  # within the rate limit
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SENT]
    [(_, notice)] = channel.sent
    assert notice.count == 1 and notice.preview == "@bob the one that matters"


@pytest.mark.parametrize("who_blocks", ["recipient", "sender"])
async def test_a_block_within_the_delay_stops_a_direct_notification(
    world, setup, direct, who_blocks
):
    service, channel = await setup()
    a, b, cid = await direct()
    await send(world, a, cid, "before the block")
    owner, other = (b, a) if who_blocks == "recipient" else (a, b)
    await world.contacts.block(owner.id, other.id)
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SKIPPED]
    assert channel.sent == []


async def test_in_a_group_a_blocked_senders_message_is_not_the_one_told(world, setup):
    service, channel = await setup()
    a, b, c = await world.user("alice"), await world.user("bob"), await world.user("carol")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id, c.id])
    cid = view.conversation.id
    await world.members.update_settings(b.id, cid, notify="all")
    await send(world, a, cid, "from alice")
    await send(world, c, cid, "from carol")
    await world.contacts.block(b.id, c.id)
    world.clock.advance(DELAY)
    await run_due(service)
    told = [n for _, n in channel.sent if n.user_id == b.id]
    assert [n.message.text for n in told] == ["from alice"]


async def test_a_reply_is_told_to_the_threads_followers_as_a_mention(world, setup):
    service, channel = await setup()
    a, b, c = await world.user("ann"), await world.user("ben"), await world.user("cat")
    view = await world.conversations.create_group(a.id, name="g", member_ids=[b.id, c.id])
    cid = view.conversation.id
    root = await send(world, a, cid, "the plan")  # a group: everyone at the default, mentions
    world.clock.advance(DELAY)
    assert await run_due(service) == []  # nobody mentioned: nobody told
    await world.messages.send(b.id, SendMessage(cid, client_id="r1", text="ok", reply_to=root.id))
    world.clock.advance(DELAY)
    assert await run_due(service) == [Result.SENT]
    [(_, notice)] = channel.sent
    assert notice.user_id == a.id and notice.mentioned  # the root's author follows it; cat not
