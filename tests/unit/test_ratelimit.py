from ezchat.domain.ratelimit import FailureLimiter


def test_failures_past_the_limit_wait_for_the_oldest_to_leave_the_window():
    limiter = FailureLimiter(max_failures=3, window_s=60)
    for t in (0, 10, 20):
        assert limiter.retry_after("k", now=t) == 0
        limiter.fail("k", now=t)
    assert limiter.retry_after("k", now=30) == 30
    assert limiter.retry_after("k", now=60.5) == 0
    assert limiter.retry_after("other", now=30) == 0


def test_a_success_clears_the_count():
    limiter = FailureLimiter(max_failures=2, window_s=60)
    limiter.fail("k", now=0)
    limiter.fail("k", now=1)
    limiter.succeed("k")
    assert limiter.retry_after("k", now=2) == 0


def test_memory_stays_bounded_by_max_keys():
    limiter = FailureLimiter(max_failures=2, window_s=60, max_keys=100)
    for i in range(1000):
        limiter.fail(f"k{i}", now=i)
    assert len(limiter._failures) == 100
