"""Starting and stopping the app: each part is stopped in the reverse order it was started,
and a start that fails half-way stops exactly what it had started."""

from dataclasses import replace

import pytest

from ezchat.adapters.memory import InProcessEventBus, memory_stores
from ezchat.adapters.scrypt import ScryptPasswordHasher
from ezchat.domain.errors import StorageUnavailable
from ezchat.entry.app import make_app
from tests.support import FAST_HASH_N
from tests.support import test_config as config_for

pytestmark = pytest.mark.gen_test


class Bus(InProcessEventBus):
    def __init__(self, log):
        super().__init__()
        self.log = log

    async def start(self):
        self.log.append("bus started")

    async def aclose(self):
        self.log.append("bus closed")


def stores_logging(log, *, fail=False):
    stores = memory_stores()

    async def start():
        log.append("storage started")
        if fail:
            raise StorageUnavailable("disk on fire")

    async def aclose():
        log.append("storage closed")

    return replace(stores, start=start, aclose=aclose)


def app_with(tmp_path, log, **kw):
    return make_app(
        config_for(tmp_path, storage="memory"),
        stores=stores_logging(log, **kw),
        bus=Bus(log),
        hasher=ScryptPasswordHasher(n=FAST_HASH_N),
    )


async def test_stopping_mirrors_starting(tmp_path):
    log: list[str] = []
    app = app_with(tmp_path, log)
    await app.start()
    await app.aclose()
    await app.aclose()  # again: nothing left to stop
    assert log == ["bus started", "storage started", "storage closed", "bus closed"]


async def test_a_failed_start_stops_what_it_had_started(tmp_path):
    log: list[str] = []
    app = app_with(tmp_path, log, fail=True)
    with pytest.raises(StorageUnavailable):
        await app.start()
    assert log == ["bus started", "storage started", "storage closed", "bus closed"]
