"""Delays between attempts: exponential, capped, with jitter so that clients failing together do
not retry together."""

from __future__ import annotations


def backoff_delay(*, attempt: int, base_s: float, cap_s: float, rand: float) -> float:
    """Full jitter: a random delay up to base * 2^attempt, capped. ``rand`` is in [0, 1)."""
    return float(min(cap_s, base_s * (2**attempt)) * rand)
