"""Pure decisions of real-time delivery, with explicit time and no event loop."""

from ezchat.domain.ratelimit import FloodGuard, KeyedRateLimiter, TokenBucket
from ezchat.domain.realtime import Coalescer, TypingThrottle


def test_a_token_bucket_allows_the_burst_then_the_rate():
    bucket = TokenBucket(rate=10, burst=3, now=0)
    assert [bucket.take(now=0) for _ in range(3)] == [0, 0, 0]
    assert abs(bucket.take(now=0) - 0.1) < 1e-9
    assert bucket.take(now=0.1) == 0
    assert bucket.take(now=0.1) > 0
    assert [bucket.take(now=10) for _ in range(3)] == [0, 0, 0]  # refills only up to the burst
    assert bucket.take(now=10) > 0


def test_rate_limits_are_per_key_and_memory_is_bounded():
    limiter = KeyedRateLimiter(rate=1, burst=1, max_keys=50)
    assert limiter.take("a", now=0) == 0 and limiter.take("a", now=0) > 0
    assert limiter.take("b", now=0) == 0
    for i in range(500):
        limiter.take(f"k{i}", now=i)
    assert len(limiter._buckets) <= 50


def test_flooding_is_more_refusals_than_the_limit_within_the_window():
    guard = FloodGuard(limit=3, window_s=10)
    assert [guard.refused(now=t) for t in (0, 1, 2)] == [False, False, False]
    assert guard.refused(now=3) is True
    fresh = FloodGuard(limit=3, window_s=10)
    assert not any(fresh.refused(now=t) for t in (0, 11, 22, 33, 44))


def test_typing_true_is_forwarded_once_per_interval_and_false_only_after_a_true():
    t = TypingThrottle(interval_s=2, expire_s=6)
    assert t.should_forward("u", "c", True, now=0)
    assert not t.should_forward("u", "c", True, now=1.9)
    assert t.should_forward("u", "c", True, now=2.0)
    assert t.should_forward("u", "c", False, now=2.5)
    assert not t.should_forward("u", "c", False, now=2.6)
    assert t.should_forward("u", "c", True, now=2.7)  # a stop resets the throttle
    assert not t.should_forward("u", "c", False, now=9)  # expired client-side already
    assert t.should_forward("u", "other", True, now=9)


def test_typing_state_of_a_user_is_listed_and_forgotten():
    t = TypingThrottle(interval_s=2, expire_s=6)
    t.should_forward("u", "c1", True, now=0)
    t.should_forward("u", "c2", True, now=5)
    t.should_forward("v", "c1", True, now=5)
    assert t.active("u", now=7) == ["c2"]
    assert t.active("u", now=7) == []
    assert t.active("v", now=7) == ["c1"]


def test_the_coalescer_sends_the_first_at_once_and_only_the_newest_after_the_window():
    c: Coalescer[str, int] = Coalescer(window_s=0.5)
    assert c.offer("k", 1, now=0) is True
    assert c.offer("k", 2, now=0.1) is False
    assert c.offer("k", 3, now=0.2) is False
    assert c.offer("other", 9, now=0.2) is True
    assert c.next_due() == 0.5
    assert c.due(now=0.4) == []
    assert c.due(now=0.5) == [("k", 3)]
    assert c.offer("k", 4, now=0.6) is False  # the flush counted as a send
    assert c.due(now=1.0) == [("k", 4)]
    assert c.due(now=2.0) == [] and c.next_due() is None
    assert c.offer("k", 5, now=2.0) is True


def test_messages_in_order_go_at_once():
    from ezchat.domain.realtime import SeqOrderer

    o: SeqOrderer[str] = SeqOrderer(hold_s=0.5)
    assert o.offer("c", 7, "m7", now=0) == ["m7"]  # the first seen sets the start
    assert o.offer("c", 8, "m8", now=0) == ["m8"]
    assert o.offer("other", 1, "o1", now=0) == ["o1"]


def test_a_message_ahead_of_a_gap_waits_for_it_and_both_go_in_order():
    from ezchat.domain.realtime import SeqOrderer

    o: SeqOrderer[str] = SeqOrderer(hold_s=0.5)
    o.offer("c", 1, "m1", now=0)
    assert o.offer("c", 3, "m3", now=0.1) == []
    assert o.offer("c", 4, "m4", now=0.1) == []
    assert o.offer("c", 2, "m2", now=0.2) == ["m2", "m3", "m4"]
    assert o.due(now=10) == [] and o.next_due() is None


def test_a_gap_that_never_fills_stalls_nothing_past_the_hold():
    from ezchat.domain.realtime import SeqOrderer

    o: SeqOrderer[str] = SeqOrderer(hold_s=0.5)
    o.offer("c", 1, "m1", now=0)
    o.offer("c", 4, "m4", now=1.0)
    o.offer("c", 3, "m3", now=1.2)
    assert o.next_due() == 1.5
    assert o.due(now=1.4) == []
    assert o.due(now=1.5) == ["m3", "m4"]
    assert o.offer("c", 5, "m5", now=2) == ["m5"]
    assert o.offer("c", 2, "m2 late", now=2) == ["m2 late"]  # late, delivered rather than lost


def test_tracked_conversations_are_bounded():
    from ezchat.domain.realtime import SeqOrderer

    o: SeqOrderer[str] = SeqOrderer(hold_s=0.5, max_conversations=10)
    for i in range(100):
        o.offer(f"c{i}", 1, "x", now=0)
    assert len(o._next) == 10


def test_a_forgotten_conversation_starts_again_at_the_next_message():
    """A process that stopped hearing a conversation and hears it again must not hold the next
    message for the ones it missed meanwhile."""
    from ezchat.domain.realtime import SeqOrderer

    o: SeqOrderer[str] = SeqOrderer(hold_s=0.5)
    o.offer("c", 1, "m1", now=0)
    assert o.offer("c", 3, "m3", now=0) == []
    o.forget("c")
    assert o.next_due() is None  # what was held went with it
    assert o.offer("c", 50, "m50", now=1) == ["m50"]
    assert o.offer("c", 51, "m51", now=1) == ["m51"]
