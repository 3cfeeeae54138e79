import os

import pytest

from tests.mongo_server import NxServer
from tests.redis_server import RedisServer, answers
from tests.s3_server import TEST_CREDENTIALS, MotoServer
from tests.support import World

# An app's own suite, run in a pytest process of its own by tests/e2e/test_testing_plugin.py.
collect_ignore = ["plugin_app"]


@pytest.fixture(scope="session")
def nx_server():
    """One nx-27017 for the whole session; each test uses a database of its own."""
    server = NxServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_url():
    """One moto S3 server for the session; each test uses a bucket of its own."""
    for name, value in TEST_CREDENTIALS.items():
        os.environ.setdefault(name, value)
    server = MotoServer()
    yield server.url
    server.stop()


@pytest.fixture
def s3_bucket(s3_url, io_loop):
    """An S3FileStore over a new bucket of the session's moto server."""
    import uuid

    from ezchat.adapters.files.s3 import S3FileStore

    store = S3FileStore(
        bucket=f"t-{uuid.uuid4().hex[:16]}", region="us-east-1", endpoint_url=s3_url
    )

    async def make_bucket():
        s3 = await store._s3()
        await s3.create_bucket(Bucket=store.bucket)

    io_loop.run_sync(make_bucket)
    return store


@pytest.fixture(scope="session")
def mongo_urls(request):
    """Where the Mongo-backed tests run: nx-27017, plus a real MongoDB when MONGODB_URL says
    where one is."""
    urls = {"nx": request.getfixturevalue("nx_server").url}
    if os.environ.get("MONGODB_URL"):
        urls["real"] = os.environ["MONGODB_URL"]
    return urls


@pytest.fixture
def world(tmp_path, io_loop):
    w = World(tmp_path)
    io_loop.run_sync(w.app.start)
    yield w
    io_loop.run_sync(w.app.aclose)


@pytest.fixture(scope="session")
def redis_url():
    """The Redis the scale-out tests share (each test keeps to its own key prefix)."""
    if answers(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    server = RedisServer()
    yield server.url
    server.stop()
