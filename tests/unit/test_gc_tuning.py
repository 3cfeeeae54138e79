"""The server's collector settings: start-up objects frozen, the youngest generation collected
every GC_GEN0_THRESHOLD allocations, the older generations as CPython has them."""

import gc

from ezchat.entry.main import GC_GEN0_THRESHOLD, tune_gc


def test_tune_gc_freezes_what_exists_and_raises_the_first_threshold():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
