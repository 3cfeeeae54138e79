import pytest

from tests.support import World


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.app._hasher.close()  # type: ignore[attr-defined]
