"""Property-based: whatever a hostile client sends (lone surrogates, numbers past any range,
deep nesting, odd types, junk ids) to any route or as any frame, the answer is the contract's:
a success or a 4xx error body, never a 5xx, a traceback or a dead connection. Derandomized,
so that a run in CI is the run made here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ezchat.entry.handlers.base import STATUS
from tests.e2e.conftest import Api
from tests.e2e.wsclient import Ws
from tests.support import e2e_examples

SETTINGS = e2e_examples(60)
ERROR_STATUS = {code: status for code, status in STATUS.items() if status < 500}

# Text as hostile clients write it: any code point, and often an unpaired surrogate (two
# adjacent surrogates written as escapes decode as one character, so they are placed apart).
_plain = st.text(st.characters(), max_size=30)
texts = st.one_of(
    _plain,
    _plain,
    st.tuples(_plain, st.characters(categories=["Cs"]), _plain).map(
        lambda t: t[0] + t[1] + "x" + t[2]
    ),
    st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=30),
)
numbers = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.integers(min_value=-3, max_value=200),
    st.floats(allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
# Raw bodies no encoder would write: nesting past any limit, huge literals, bad escapes.
raw_bodies = st.sampled_from(
    [
        "[" * 5000 + "]" * 5000,
        '{"a":' * 3000 + "1" + "}" * 3000,
        '{"seq": 1' + "0" * 5000 + "}",
        '{"text": "\\ud800"}',
        '{"text": "\\udfff\\ud800"}',
        '{"x": NaN}',
        '{"x": Infinity}',
        "\xff\xfe",
        "",
        "null",
    ]
)


def plausible(field: str, ids: dict[str, str]) -> st.SearchStrategy[Any]:
    """Values of the right shape for ``field`` (so that requests get past the type checks and
    reach the rules and the stores) carrying hostile content."""
    url = texts.map(lambda t: "https://x.example/" + t)
    real = {
        "user_id": ids["user"],
        "conversation_id": ids["conv"],
        "message_id": ids["msg"],
        "reply_to": ids["msg"],
    }
    if field in real:
        return st.just(real[field]) | texts
    shapes: dict[str, st.SearchStrategy[Any]] = {
        "username": st.from_regex(r"[a-z0-9_.-]{3,12}", fullmatch=True) | texts,
        "password": texts.map(lambda t: "password" + t),
        "avatar_url": url,
        "type": st.sampled_from(["group", "direct"]),
        "role": st.sampled_from(["admin", "member"]) | texts,
        "status": st.sampled_from(["online", "away"]) | texts,
        "member_ids": st.lists(st.just(ids["user"]) | texts, max_size=3),
        "pinned": st.booleans(),
        "muted": st.booleans(),
        "is_typing": st.booleans(),
        "seq": numbers,
        "limit": numbers,
        "attachments": st.lists(
            st.fixed_dictionaries({"url": url, "name": texts, "mime_type": texts, "size": numbers}),
            max_size=2,
        ),
        "conversations": st.dictionaries(st.just(ids["conv"]) | texts, numbers, max_size=3),
    }
    return shapes.get(field, texts)


def body_for(fields: list[str], ids: dict[str, str]) -> st.SearchStrategy[Any]:
    """A body naming some of the route's fields, mostly with values of the right shape."""
    return st.one_of(
        st.fixed_dictionaries(
            {}, optional={f: plausible(f, ids) | plausible(f, ids) | json_values for f in fields}
        ),
        st.fixed_dictionaries({f: plausible(f, ids) for f in fields}),
        json_values,
    )


def segment(real: list[str]) -> st.SearchStrategy[str]:
    """A path segment: a real id, or junk (lone surrogates as their UTF-8-like bytes)."""
    junk = texts.map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe=""))
    return st.one_of(st.sampled_from(real), st.sampled_from(real), junk.filter(bool))


@dataclass
class Scene:
    api: Api
    ws_base: str
    token: str
    ids: dict[str, str]


@pytest.fixture
def scene(start_server, io_loop):
    # No rate limit: every example must reach the rules and the stores, not a 429.
    running = io_loop.run_sync(lambda: start_server(message_rate_per_sec=1e9, message_burst=10**9))
    api = Api(running.base)

    async def build() -> Scene:
        alice, ta = await api.register("alice")
        bob, tb = await api.register("bob")
        body = {"type": "group", "name": "g", "member_ids": [bob["id"]]}
        group = (await api.call("POST", "/api/conversations", body, token=ta)).body
        sent = await api.call(
            "POST",
            f"/api/conversations/{group['id']}/messages",
            {"client_id": "seed", "text": "seed"},
            token=ta,
        )
        ids = {"user": bob["id"], "conv": group["id"], "msg": sent.body["id"]}
        return Scene(api, running.ws_base, ta, ids)

    yield io_loop.run_sync(build)
    api.http.close()


def check_answer(status: int, body: Any) -> None:
    assert status < 500, body
    if status >= 400:
        assert isinstance(body, dict) and set(body) == {"error"}, body
        code = body["error"]["code"]
        assert ERROR_STATUS.get(code) == status, body
        assert isinstance(body["error"]["message"], str)


ROUTES: list[tuple[str, str, list[str]]] = [
    ("POST", "/api/auth/register", ["username", "password", "display_name"]),
    ("POST", "/api/auth/login", ["username", "password"]),
    ("PATCH", "/api/users/me", ["display_name", "avatar_url"]),
    ("POST", "/api/contacts", ["user_id"]),
    ("POST", "/api/conversations", ["type", "user_id", "name", "member_ids", "description"]),
    ("PATCH", "/api/conversations/{conv}", ["name", "description", "avatar_url"]),
    ("POST", "/api/conversations/{conv}/members", ["user_id", "role"]),
    ("PATCH", "/api/conversations/{conv}/members/{user}", ["role"]),
    ("PUT", "/api/conversations/{conv}/settings", ["pinned", "muted"]),
    (
        "POST",
        "/api/conversations/{conv}/messages",
        ["client_id", "text", "attachments", "reply_to"],
    ),
    ("PATCH", "/api/conversations/{conv}/messages/{msg}", ["text"]),
    ("POST", "/api/conversations/{conv}/read", ["seq"]),
]


@pytest.mark.parametrize(("method", "template", "fields"), ROUTES)
def test_any_body_gets_the_contracts_answer(scene, io_loop, method, template, fields):
    @SETTINGS
    @given(body=body_for(fields, scene.ids), raw=st.none() | st.none() | raw_bodies, data=st.data())
    def run(body, raw, data):
        path = template.format(
            conv=data.draw(segment([scene.ids["conv"]])),
            user=data.draw(segment([scene.ids["user"]])),
            msg=data.draw(segment([scene.ids["msg"]])),
        )
        payload = raw.encode("utf-8", "surrogatepass") if raw is not None else None
        if payload is None:
            payload = json.dumps(body).encode()  # escapes lone surrogates, as JSON allows
        r = io_loop.run_sync(lambda: scene.api.call(method, path, raw=payload, token=scene.token))
        check_answer(r.status, r.body)

    run()


QUERIES: list[tuple[str, str, list[str]]] = [
    ("GET", "/api/users", ["q", "limit"]),
    ("GET", "/api/users/{user}", []),
    ("GET", "/api/conversations", ["limit", "cursor"]),
    ("GET", "/api/conversations/{conv}", []),
    ("GET", "/api/conversations/{conv}/messages", ["before", "after", "limit"]),
    ("GET", "/api/conversations/{conv}/receipts", []),
    ("GET", "/api/search", ["q", "conversation_id", "limit"]),
    ("PUT", "/api/conversations/{conv}/messages/{msg}/reactions/{emoji}", []),
    ("DELETE", "/api/conversations/{conv}/messages/{msg}/reactions/{emoji}", []),
    ("POST", "/api/contacts/{user}/accept", []),
    ("POST", "/api/contacts/{user}/block", []),
    ("DELETE", "/api/contacts/{user}", []),
]


@pytest.mark.parametrize(("method", "template", "names"), QUERIES)
def test_any_query_and_path_gets_the_contracts_answer(scene, io_loop, method, template, names):
    values = st.one_of(texts, numbers.map(str), st.sampled_from(["", "-1", "1e3", "0x10"]))

    @SETTINGS
    @given(
        query=st.dictionaries(st.sampled_from(names or ["x"]), values, max_size=3), data=st.data()
    )
    def run(query, data):
        path = template.format(
            conv=data.draw(segment([scene.ids["conv"]])),
            user=data.draw(segment([scene.ids["user"]])),
            msg=data.draw(segment([scene.ids["msg"]])),
            emoji=data.draw(segment(["👍"])),
        )
        qs = "&".join(
            f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
            for k, v in query.items()
        )
        r = io_loop.run_sync(
            lambda: scene.api.call(method, f"{path}?{qs}" if qs else path, token=scene.token)
        )
        check_answer(r.status, r.body)

    run()


FRAMES: dict[str, list[str]] = {
    "message.send": ["conversation_id", "client_id", "text", "attachments", "reply_to"],
    "message.edit": ["conversation_id", "message_id", "text"],
    "message.delete": ["conversation_id", "message_id"],
    "reaction.add": ["conversation_id", "message_id", "emoji"],
    "reaction.remove": ["conversation_id", "message_id", "emoji"],
    "typing": ["conversation_id", "is_typing"],
    "read": ["conversation_id", "seq"],
    "delivered": ["conversation_id", "seq"],
    "presence": ["status"],
    "sync": ["conversations", "limit"],
    "ping": [],
}


@pytest.mark.parametrize("kind", sorted(FRAMES))
def test_any_frame_gets_one_answer_and_the_connection_lives(scene, io_loop, kind):
    ws = io_loop.run_sync(lambda: Ws.connect(scene.ws_base, scene.token))
    payloads = body_for(FRAMES[kind], scene.ids)

    @SETTINGS
    @given(
        payload=payloads,
        frame_id=st.one_of(st.none(), texts, numbers),
        raw=st.none() | st.none() | raw_bodies,
    )
    def run(payload, frame_id, raw):
        if raw is not None:
            ws.send_raw(raw)
        else:
            frame: dict[str, Any] = {"type": kind, "payload": payload}
            if frame_id is not None:
                frame["id"] = frame_id
            ws.send_raw(json.dumps(frame))

        async def answer():
            # Every frame gets exactly one reply; the barrier proves the socket still works.
            reply = await ws.expect(None, lambda f: f["type"] in ("ack", "pong", "error"))
            if reply["type"] == "error":
                assert reply["payload"]["code"] in ERROR_STATUS, reply
            await ws.barrier()

        io_loop.run_sync(answer, timeout=10)

    run()
    ws.close()
